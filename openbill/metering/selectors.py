"""Read queries about usage and overage, scoped to a client's service by the caller.

The client area's Statistics tab and Service overage section, the dashboard widget and the
API all read through these functions, so the pages and the API never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from openbill.catalog.models import Addon, BillingType, StatisticsPeriod
from openbill.core.errors import DomainError
from openbill.core.money import round_amount
from openbill.core.timeutil import local_date
from openbill.services.models import Service

from . import rating
from .models import OverageRating, UsageRecord

# The longest period the statistics show at once: a year, a leap year included.
MAX_STATISTICS_DAYS = 366


# The days the statistics can show at all.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def check_statistics_day(value: date, field: str) -> None:
    """The one rule for each end of a statistics period, on the page and in the API: a day from
    FIRST_DAY to LAST_DAY. Raises DomainError about ``field``."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise DomainError(
            _("Choose a day between %(first)s and %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}, field=field
        )


def check_statistics_period(start: date, end: date) -> None:
    """The one rule for a statistics period, on the page and in the API: ``[start, end]``, both
    days included, ends no earlier than it starts and spans at most MAX_STATISTICS_DAYS days.
    Raises DomainError about ``end`` (a form error, a 400), never cuts the period short."""
    if start > end:
        raise DomainError(_("The period ends before it starts."), field="end")
    if (end - start).days + 1 > MAX_STATISTICS_DAYS:
        raise DomainError(_("Choose at most %(days)s days.") % {"days": MAX_STATISTICS_DAYS}, field="end")


def statistics_period(
    service: Service, *, start: date | None = None, end: date | None = None, now: datetime
) -> tuple[date, date]:
    """The period the API's statistics show: from ``start`` (the 1st of this month) to ``end``
    (today, or ``start`` when it is later), in the provider's time zone; checked as above."""
    today = local_date(now, service.client.provider.tz)
    start = start or rating.month_start(today)
    end = end or max(today, start)
    check_statistics_period(start, end)
    return start, end


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """The local dates ``[start, end]`` of a named period (weeks start on Monday); anything
    else is the current month so far."""
    monday = today - timedelta(days=today.weekday())
    match preset:
        case "today":
            return today, today
        case "week":
            return monday, today
        case "year":
            return today.replace(month=1, day=1), today
        case "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        case "last_week":
            return monday - timedelta(days=7), monday - timedelta(days=1)
        case "last_month":
            first = rating.month_start(today)
            return rating.month_start(first - timedelta(days=1)), first - timedelta(days=1)
        case _:
            return rating.month_start(today), today


def months_back(current: date, count: int) -> list[date]:
    """The first days of ``count`` months, ``current`` first, going back."""
    months = []
    for _index in range(count):
        months.append(current)
        current = rating.month_start(current - timedelta(days=1))
    return months


ZERO = Decimal(0)
KINDS_WITH_STATISTICS = ("vds", "hosting")


def has_statistics(service: Service) -> bool:
    """The Statistics tab belongs to virtual servers and hosting (the seed)."""
    return service.product_type.kind in KINDS_WITH_STATISTICS


def statistics_addons(service: Service) -> list[Addon]:
    return list(
        Addon.objects.filter(tariff_id=service.tariff_id, billing_type=BillingType.STATISTICS).order_by(
            "position", "id"
        )
    )


def current_month(service: Service, now: datetime) -> date:
    return rating.month_start(local_date(now, service.client.provider.tz))


# --- consumption by day -----------------------------------------------------------------------
@dataclass
class Day:
    on: date
    usage: Decimal
    over: bool  # overage on this day (daily mode: over the daily limit; monthly: past the included)


@dataclass
class AddonSeries:
    addon: Addon
    days: list[Day] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((d.usage for d in self.days), ZERO)

    @property
    def peak(self) -> Decimal:
        return max((d.usage for d in self.days), default=ZERO)


def daily_consumption(service: Service, start: date, end: date) -> list[AddonSeries]:
    """Consumption by day for each statistics add-on over ``[start, end]`` (local dates).

    A day is marked as an overage day when, in daily mode, its usage is over the included
    amount, or, in monthly mode, the month's running total has passed it that day.
    """
    addons = statistics_addons(service)
    if not addons:
        return []
    # Monthly running totals start on the 1st, so read from the month of ``start``.
    read_from = rating.month_start(start)
    totals: dict[date, dict[str, Decimal]] = defaultdict(dict)
    rows = (
        UsageRecord.objects.filter(service=service, on__gte=read_from, on__lte=end)
        .values_list("on", "resource")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    for on, resource, total in rows:
        totals[on][resource] = Decimal(total)
    series = []
    for addon in addons:
        line = AddonSeries(addon)
        running = ZERO
        day = read_from
        while day <= end:
            if day.day == 1:
                running = ZERO
            usage = rating.addon_usage(addon, totals.get(day, {}))
            if addon.statistics_period == StatisticsPeriod.DAY:
                over = usage > addon.included
            else:
                running += usage
                over = running > addon.included and usage > 0
            if day >= start:
                line.days.append(Day(day, usage, over))
            day += timedelta(days=1)
        series.append(line)
    return series


# --- overage for a reporting month ------------------------------------------------------------
@dataclass
class OverageRow:
    addon: Addon
    included: Decimal
    per_day: bool
    used: Decimal
    overage: Decimal
    cost_amount: Decimal
    over_maximum: bool


def overage_rows(service: Service, month: date) -> list[OverageRow]:
    """The Service overage section for the month starting ``month``: one row per statistics
    add-on with included, used, overage and cost (daily add-ons: the month's days summed)."""
    addons = statistics_addons(service)
    end = rating.next_month(month)
    sums: dict[int, dict[str, Any]] = {}
    for addon_id, used, overage, cost, over_max in OverageRating.objects.filter(
        service=service, period_start__gte=month, period_start__lt=end
    ).values_list("addon_id", "usage", "overage", "cost_amount", "over_maximum"):
        entry = sums.setdefault(addon_id, {"used": ZERO, "overage": ZERO, "cost": ZERO, "max": False})
        entry["used"] += used
        entry["overage"] += overage
        entry["cost"] += cost
        entry["max"] = entry["max"] or over_max
    rows = []
    for addon in addons:
        entry = sums.get(addon.pk, {"used": ZERO, "overage": ZERO, "cost": ZERO, "max": False})
        rows.append(
            OverageRow(
                addon=addon,
                included=addon.included,
                per_day=addon.statistics_period == StatisticsPeriod.DAY,
                used=entry["used"],
                overage=entry["overage"],
                cost_amount=round_amount(entry["cost"], service.client.currency),
                over_maximum=entry["max"],
            )
        )
    return rows


def overage_url(service_id: int, month: date | None = None) -> str:
    try:
        url = reverse("clientarea:service_overage", args=[service_id])
    except NoReverseMatch:
        return ""
    return f"{url}?period={month:%Y-%m}" if month else url


def overage_widget_rows(client: Any, now: datetime) -> list[dict[str, Any]]:
    """Rows of the dashboard's "Services with overages" widget: one per service with overage in
    its current reporting period — ``service`` (a Service), ``cost`` (Decimal), ``currency``,
    ``url`` (its Service overage section). Empty until usage exists.

    The current reporting period is the provider's current calendar month (daily add-ons: its
    days so far). Two queries whatever the number of services.
    """
    if client is None:
        return []
    month = rating.month_start(local_date(now, client.provider.tz))
    totals = dict(
        OverageRating.objects.filter(
            service__client=client,
            period_start__gte=month,
            period_start__lt=rating.next_month(month),
            cost_amount__gt=0,
        )
        .exclude(service__status="deleted")
        .values("service_id")
        .annotate(total=Sum("cost_amount"))
        .order_by()
        .values_list("service_id", "total")
    )
    if not totals:
        return []
    services = Service.objects.filter(client=client, pk__in=totals).select_related("client__provider").order_by("id")
    currency = client.provider.currency
    return [
        {
            "service": service,
            "cost": round_amount(totals[service.pk], currency),
            "currency": currency,
            "url": overage_url(service.pk, month),
        }
        for service in services
    ]
