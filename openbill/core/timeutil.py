"""Time helpers. Everything is aware UTC in storage; calendar rules use the provider's zone.

Periods are half-open ``[start, end)``. Months and years use calendar arithmetic: 31 January
plus one month is the last day of February.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    """A billing period a tariff may sell (BILLmanager: day, month, 3, 6, 12, 24, 36 months)."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    MONTH_3 = "3months", _("3 months")
    MONTH_6 = "6months", _("6 months")
    YEAR = "year", _("Year")
    YEAR_2 = "2years", _("2 years")
    YEAR_3 = "3years", _("3 years")


PERIOD_MONTHS: dict[str, int] = {
    Period.DAY: 0,
    Period.MONTH: 1,
    Period.MONTH_3: 3,
    Period.MONTH_6: 6,
    Period.YEAR: 12,
    Period.YEAR_2: 24,
    Period.YEAR_3: 36,
}

# Suffix in a price, "/day", "/year": translated where shown.
PERIOD_SUFFIX = {
    Period.DAY: _("day"),
    Period.MONTH: _("month"),
    Period.MONTH_3: _("3 months"),
    Period.MONTH_6: _("6 months"),
    Period.YEAR: _("year"),
    Period.YEAR_2: _("2 years"),
    Period.YEAR_3: _("3 years"),
}


def add_months(moment: datetime, months: int, tz: ZoneInfo | None = None) -> datetime:
    """``moment`` plus ``months`` calendar months, clamped to the month's last day.

    The arithmetic happens on the wall clock of ``tz`` (the provider's zone) so that a service
    bought at local midnight renews at local midnight across daylight-saving changes.
    """
    local = moment.astimezone(tz) if tz else moment
    month_index = local.month - 1 + months
    year = local.year + month_index // 12
    month = month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    if tz:
        return naive.replace(tzinfo=tz).astimezone(moment.tzinfo)
    return naive.replace(tzinfo=moment.tzinfo)


def add_period(moment: datetime, period: str, tz: ZoneInfo | None = None, count: int = 1) -> datetime:
    if period == Period.DAY:
        local = moment.astimezone(tz) if tz else moment
        naive = local.replace(tzinfo=None) + timedelta(days=count)
        if tz:
            return naive.replace(tzinfo=tz).astimezone(moment.tzinfo)
        return naive.replace(tzinfo=moment.tzinfo)
    return add_months(moment, PERIOD_MONTHS[period] * count, tz)


def share_of_period(start: datetime, end: datetime, period_start: datetime, period_end: datetime) -> Fraction:
    """Seconds of ``[start, end)`` over the length of one period, exact (proration)."""
    length = int((period_end - period_start).total_seconds())
    used = int((end - start).total_seconds())
    if length <= 0:
        raise ValueError("empty period")
    return Fraction(max(used, 0), length)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def start_of_local_day(moment: datetime, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    naive = datetime(local.year, local.month, local.day)  # noqa: DTZ001 - zone attached next line
    return naive.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))
