"""Rating: price every live service's open reporting periods, set-based."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Sum

from openbill.catalog.models import StatisticsPeriod
from openbill.clients.models import Provider
from openbill.core.timeutil import local_date

from .. import rating
from ..models import OverageRating, UsageRecord
from .common import LIVE, QUANTUM, ZERO, late_days, statistics_addons, window_start


@dataclass
class RatingRun:
    ratings: int = 0
    written: int = 0
    services: set[int] = field(default_factory=set)


def rate_provider(provider: Provider, *, now: datetime, service_ids: Iterable[int] | None = None) -> RatingRun:
    """Rate every live service's open reporting periods, set-based: the months from the
    window's start (the previous month too during its first ``late_days``) and, for daily
    add-ons, the last ``late_days`` days and today.

    One aggregate query per month (monthly add-ons) and one for the open days (daily add-ons);
    ratings that changed are upserted in bulk. Returns the services that may need settling (a
    cost above what was charged, or over the maximum in the current period).
    """
    run = RatingRun()
    tz = provider.tz
    today = local_date(now, tz)
    tomorrow = today + timedelta(days=1)
    start = window_start(today)
    first_day = today - timedelta(days=late_days())
    by_tariff = statistics_addons(provider)
    if not by_tariff:
        return run
    currency = provider.currency
    raters = {a.pk: rating.Rater(a, currency) for items in by_tariff.values() for a in items}
    monthly = {
        t: [raters[a.pk] for a in items if a.statistics_period == StatisticsPeriod.MONTH]
        for t, items in by_tariff.items()
    }
    daily = {
        t: [raters[a.pk] for a in items if a.statistics_period == StatisticsPeriod.DAY]
        for t, items in by_tariff.items()
    }
    monthly = {t: items for t, items in monthly.items() if items}
    daily = {t: items for t, items in daily.items() if items}
    only = list(service_ids) if service_ids is not None else None

    def usage_of(tariffs: Iterable[int], since: date, until: date) -> Any:
        rows = UsageRecord.objects.filter(
            provider=provider,
            on__gte=since,
            on__lt=until,
            service__status__in=LIVE,
            service__tariff_id__in=list(tariffs),
        )
        return rows.filter(service_id__in=only) if only is not None else rows

    rated: dict[tuple[int, int, date], tuple[date, rating.Rated]] = {}
    month = start
    while monthly and month <= today:
        end = rating.next_month(month)
        totals: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)
        rows = (
            usage_of(monthly, month, min(end, tomorrow))
            .values_list("service_id", "service__tariff_id", "resource")
            .annotate(total=Sum("quantity"))
            .order_by()
        )
        for service_id, tariff_id, resource, total in rows.iterator(chunk_size=10000):
            totals[(service_id, tariff_id)][resource] = total
        for (service_id, tariff_id), metric_totals in totals.items():
            for rater in monthly[tariff_id]:
                rated[(service_id, rater.addon.pk, month)] = (end, rater.rate(metric_totals))
        month = end
    if daily:
        day_totals: dict[tuple[int, int, date], dict[str, Decimal]] = defaultdict(dict)
        rows = (
            usage_of(daily, first_day, tomorrow)
            .values_list("service_id", "service__tariff_id", "on", "resource")
            .annotate(total=Sum("quantity"))
            .order_by()
        )
        for service_id, tariff_id, on, resource, total in rows.iterator(chunk_size=10000):
            day_totals[(service_id, tariff_id, on)][resource] = total
        for (service_id, tariff_id, on), metric_totals in day_totals.items():
            for rater in daily[tariff_id]:
                rated[(service_id, rater.addon.pk, on)] = (on + timedelta(days=1), rater.rate(metric_totals))
    run.ratings = len(rated)

    existing_q = OverageRating.objects.filter(addon_id__in=list(raters), period_start__gte=min(start, first_day))
    if only is not None:
        existing_q = existing_q.filter(service_id__in=only)
    existing = {
        (s, a, p): (usage, over_max, charged)
        for s, a, p, usage, over_max, charged in existing_q.values_list(
            "service_id", "addon_id", "period_start", "usage", "over_maximum", "charged_amount"
        ).iterator(chunk_size=10000)
    }
    changed: list[OverageRating] = []
    for (service_id, addon_id, period_start), (period_end, result) in rated.items():
        usage = result.usage.quantize(QUANTUM)
        old = existing.get((service_id, addon_id, period_start))
        charged = old[2] if old else ZERO
        if result.cost_amount > charged or (result.over_maximum and period_start <= today < period_end):
            run.services.add(service_id)
        if old is not None and old[0] == usage and old[1] == result.over_maximum:
            continue
        if old is None and not usage:
            continue
        changed.append(
            OverageRating(
                service_id=service_id,
                addon_id=addon_id,
                period_start=period_start,
                period_end=period_end,
                usage=usage,
                overage=result.overage.quantize(QUANTUM),
                cost_amount=result.cost_amount,
                over_maximum=result.over_maximum,
                due=result.cost_amount > charged,
                rated_at=now,
            )
        )
    upsert_ratings(changed, now=now)
    run.written = len(changed)
    return run


def upsert_ratings(ratings: list[OverageRating], *, now: datetime) -> None:
    """Write ratings set-based; an existing rating keeps what was charged for it, and whether
    it is due is decided against that stored amount, in the same statement."""
    if not ratings:
        return
    if connection.vendor != "postgresql":
        for offset in range(0, len(ratings), 2000):
            OverageRating.objects.bulk_create(
                ratings[offset : offset + 2000],
                update_conflicts=True,
                unique_fields=["service", "addon", "period_start"],
                update_fields=["period_end", "usage", "overage", "cost_amount", "over_maximum", "due", "rated_at"],
            )
        return
    table = connection.ops.quote_name(OverageRating._meta.db_table)
    with connection.cursor() as cursor:
        for offset in range(0, len(ratings), 20000):
            chunk = ratings[offset : offset + 20000]
            cursor.execute(
                f"INSERT INTO {table} AS r (service_id, addon_id, period_start, period_end, usage, overage, "  # noqa: S608 - names are ours
                "cost_amount, charged_amount, charged_through, over_maximum, due, unpaid, rated_at) "
                "SELECT s, a, ps, pe, u, o, c, 0, 0, m, c > 0, false, %s FROM unnest("
                "%s::bigint[], %s::bigint[], %s::date[], %s::date[], %s::numeric[], %s::numeric[], %s::numeric[], "
                "%s::boolean[]) AS t(s, a, ps, pe, u, o, c, m) "
                "ON CONFLICT (service_id, addon_id, period_start) DO UPDATE SET "
                "period_end = EXCLUDED.period_end, usage = EXCLUDED.usage, overage = EXCLUDED.overage, "
                "cost_amount = EXCLUDED.cost_amount, over_maximum = EXCLUDED.over_maximum, "
                "due = EXCLUDED.cost_amount > r.charged_amount, rated_at = EXCLUDED.rated_at",
                [
                    now,
                    [x.service_id for x in chunk],
                    [x.addon_id for x in chunk],
                    [x.period_start for x in chunk],
                    [x.period_end for x in chunk],
                    [x.usage for x in chunk],
                    [x.overage for x in chunk],
                    [x.cost_amount for x in chunk],
                    [x.over_maximum for x in chunk],
                ],
            )
