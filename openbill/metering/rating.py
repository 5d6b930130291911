"""Rating rules, pure functions over Decimal (reference §4.2).

- A statistics add-on measures one or more parameters (``metrics``; the add-on's resource when
  empty). Each parameter's total over the window is converted to the add-on's unit; several
  parameters are summed or their maximum taken, as the add-on says.
- The reporting period is the calendar month (reset on the 1st) or the day, in the provider's
  time zone.
- overage = max(0, usage − included); cost = overage × overage price, rounded once.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from openbill.catalog.models import Addon, Aggregation, StatisticsPeriod
from openbill.core.money import round_amount

from .units import base_unit, convert, dimension

ZERO = Decimal(0)


def metrics_of(addon: Addon) -> list[str]:
    return [str(m) for m in (addon.metrics or [])] or [addon.resource]


def addon_usage(addon: Addon, totals: Mapping[str, Decimal]) -> Decimal:
    """The add-on's usage in its own unit from each metric's total in the base unit."""
    stored_in = base_unit(addon.unit)
    values = [convert(totals.get(metric, ZERO), stored_in, addon.unit) for metric in metrics_of(addon)]
    if addon.aggregation == Aggregation.MAX:
        return max(values)
    return sum(values, ZERO)


@dataclass(frozen=True)
class Rated:
    usage: Decimal
    overage: Decimal
    cost_amount: Decimal  # rounded once, to the currency
    over_maximum: bool


def rate(addon: Addon, usage: Decimal, currency: str) -> Rated:
    overage = max(ZERO, usage - addon.included)
    # Most services stay within what is included: nothing to round then.
    cost = round_amount(overage * addon.overage_price, currency) if overage else ZERO
    over_maximum = addon.maximum is not None and usage > addon.maximum
    return Rated(usage=usage, overage=overage, cost_amount=cost, over_maximum=over_maximum)


class Rater:
    """One add-on's rating rule with its conversions worked out once (the sweep rates many
    services with the same add-on)."""

    def __init__(self, addon: Addon, currency: str) -> None:
        self.addon = addon
        self.currency = currency
        self.metrics = metrics_of(addon)
        self.divisor = dimension(addon.unit)[1]  # records are stored in the base unit
        self.maximum_of = addon.aggregation == Aggregation.MAX

    def usage(self, totals: Mapping[str, Decimal]) -> Decimal:
        values = [totals.get(metric, ZERO) for metric in self.metrics]
        return self.in_unit(max(values) if self.maximum_of else sum(values, ZERO))

    def in_unit(self, raw: Decimal) -> Decimal:
        """The add-on's usage from its metrics' sum (or maximum) in the base unit."""
        return raw if self.divisor == 1 else raw / self.divisor

    def rate(self, totals: Mapping[str, Decimal]) -> Rated:
        return rate(self.addon, self.usage(totals), self.currency)

    def rate_raw(self, raw: Decimal) -> Rated:
        """As ``rate``, from the metrics' sum (or maximum) already taken."""
        return rate(self.addon, self.in_unit(raw), self.currency)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1]) + timedelta(days=1)


def reporting_period(addon: Addon, day: date) -> tuple[date, date]:
    """The half-open period ``[start, end)`` of local dates that contains ``day``."""
    if addon.statistics_period == StatisticsPeriod.DAY:
        return day, day + timedelta(days=1)
    return month_start(day), next_month(day)


def normalized(value: Decimal) -> str:
    """A stable text form of a quantity for business keys ("12.5", not "12.500000000")."""
    text = f"{value.normalize():f}"
    return text
