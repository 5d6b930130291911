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
from openbill.services.models import Service

from .. import rating
from ..models import OverageRating, UsageRecord
from .common import LIVE, QUANTUM, ZERO, late_days, statistics_addons, window_start


@dataclass
class RatingRun:
    ratings: int = 0
    written: int = 0
    services: set[int] = field(default_factory=set)


# (service, add-on, period start) → (period end, its rating)
RatedPeriods = dict[tuple[int, int, date], tuple[date, rating.Rated]]


def rate_provider(provider: Provider, *, now: datetime, service_ids: Iterable[int] | None = None) -> RatingRun:
    """Rate every live service's open reporting periods, set-based: the months from the
    window's start (the previous month too during its first ``late_days``) and, for daily
    add-ons, the last ``late_days`` days and today.

    On PostgreSQL one statement per month (monthly add-ons) and one for the open days (daily
    add-ons) sums the records, rates and upserts the ratings within what is included; only the
    periods over it (or over the maximum) come back, to be priced here by ``rating.Rater`` (the
    one rounding rule). Elsewhere one aggregate query per period kind and the rating in Python.
    Ratings that changed are written in bulk. Returns the services that may need settling (a
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
    if connection.vendor == "postgresql":
        return _rate_in_sql(provider, raters, monthly, daily, only, start, first_day, today, now)

    def usage_of(tariffs: Iterable[int], since: date, until: date) -> Any:
        rows = UsageRecord.objects.filter(
            provider=provider,
            on__gte=since,
            on__lt=until,
            service__status__in=LIVE,
            service__tariff_id__in=list(tariffs),
        )
        return rows.filter(service_id__in=only) if only is not None else rows

    rated: RatedPeriods = {}
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
    _write_changed(run, rated, list(raters), only, min(start, first_day), today, now)
    return run


def _write_changed(
    run: RatingRun,
    rated: RatedPeriods,
    addon_ids: list[int],
    only: list[int] | None,
    since: date,
    today: date,
    now: datetime,
) -> None:
    """Upsert the ratings that changed since stored; note in ``run`` the services to settle."""
    existing_q = OverageRating.objects.filter(addon_id__in=addon_ids, period_start__gte=since)
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
    run.written += len(changed)


def _rate_in_sql(
    provider: Provider,
    raters: dict[int, rating.Rater],
    monthly: dict[int, list[rating.Rater]],
    daily: dict[int, list[rating.Rater]],
    only: list[int] | None,
    start: date,
    first_day: date,
    today: date,
    now: datetime,
) -> RatingRun:
    """``rate_provider`` on PostgreSQL: one statement per month and one for the open days."""
    run = RatingRun()
    over: RatedPeriods = {}
    tomorrow = today + timedelta(days=1)
    month = start
    while monthly and month <= today:
        end = rating.next_month(month)
        _rate_period(run, over, provider, monthly, only, month, min(end, tomorrow), now, month=(month, end))
        month = end
    if daily:
        _rate_period(run, over, provider, daily, only, first_day, tomorrow, now)
    if over:
        settle = sorted({service_id for service_id, _a, _p in over})
        _write_changed(run, over, list(raters), settle, min(start, first_day), today, now)
    return run


def _at_nine_places(value: str) -> str:
    """SQL rounding a non-negative numeric to the 9 places of a stored quantity half to even, as
    ``Decimal.quantize(QUANTUM)`` does (``round`` would take a half up)."""
    scaled = f"({value}) * 1000000000"
    return (
        f"CASE WHEN mod({scaled}, 1) = 0.5 AND mod(trunc({scaled}), 2) = 0 "
        f"THEN trunc({value}, 9) ELSE round({value}, 9) END"
    )


def _rate_period(
    run: RatingRun,
    over: RatedPeriods,
    provider: Provider,
    by_tariff: dict[int, list[rating.Rater]],
    only: list[int] | None,
    since: date,
    until: date,
    now: datetime,
    month: tuple[date, date] | None = None,
) -> None:
    """Rate one month (``month``: its first day and the next month's) or each open day of the
    add-ons in ``by_tariff`` in one statement.

    The records are summed per service, metric and period; each add-on's usage is its metrics'
    sum (or maximum) in its unit, exact (40 places before the division). A period within what
    is included and the maximum is upserted there and then, when its usage changed (overage and
    cost nought, due only if less was charged); the others come back into ``over`` rated by
    their ``Rater``, for ``_write_changed``.
    """
    items = [rater for raters in by_tariff.values() for rater in raters]
    pairs = [
        (rater.addon.pk, tariff_id, m)
        for tariff_id, raters in by_tariff.items()
        for rater in raters
        for m in rater.metrics
    ]
    usage_table = connection.ops.quote_name(UsageRecord._meta.db_table)
    service_table = connection.ops.quote_name(Service._meta.db_table)
    rating_table = connection.ops.quote_name(OverageRating._meta.db_table)
    if month is None:
        period_start, period_end = 'u."on"', "r.period_start + 1"
    else:
        period_start, period_end = "%(month)s::date", "%(month_end)s::date"
    sql = f"""
        WITH addon (addon_id, divisor, is_max, included, maximum) AS (
            SELECT * FROM unnest(%(addons)s::bigint[], %(divisors)s::numeric[], %(is_max)s::boolean[],
                                 %(included)s::numeric[], %(maximum)s::numeric[])
        ), metric (addon_id, tariff_id, resource) AS (
            SELECT * FROM unnest(%(pair_addons)s::bigint[], %(pair_tariffs)s::bigint[], %(pair_metrics)s::text[])
        ), total AS (
            SELECT t.service_id, s.tariff_id, t.resource, t.period_start, t.quantity
            FROM (
                SELECT u.service_id, u.resource, {period_start} AS period_start, sum(u.quantity) AS quantity
                FROM {usage_table} u
                WHERE u.provider_id = %(provider)s AND u."on" >= %(since)s AND u."on" < %(until)s
                  AND u.resource = ANY(%(pair_metrics)s::text[])
                  {"AND u.service_id = ANY(%(only)s)" if only is not None else ""}
                GROUP BY 1, 2, 3
            ) t JOIN {service_table} s ON s.id = t.service_id
            WHERE s.status = ANY(%(live)s) AND s.tariff_id = ANY(%(tariffs)s)
        ), raw AS (
            SELECT t.service_id, m.addon_id, t.period_start,
                   CASE WHEN bool_or(a.is_max) THEN max(t.quantity) ELSE sum(t.quantity) END AS raw
            FROM total t
            JOIN metric m ON m.tariff_id = t.tariff_id AND m.resource = t.resource
            JOIN addon a ON a.addon_id = m.addon_id
            GROUP BY 1, 2, 3
        ), rated AS (
            SELECT r.service_id, r.addon_id, r.period_start, {period_end} AS period_end, r.raw,
                   {_at_nine_places("round(r.raw, 40) / a.divisor")} AS usage,
                   round(r.raw, 40) / a.divisor > a.included
                   OR (a.maximum IS NOT NULL AND round(r.raw, 40) / a.divisor > a.maximum) AS over
            FROM raw r JOIN addon a ON a.addon_id = r.addon_id
        ), written AS (
            INSERT INTO {rating_table} AS o (service_id, addon_id, period_start, period_end, usage, overage,
                cost_amount, charged_amount, charged_through, over_maximum, due, unpaid, rated_at)
            SELECT service_id, addon_id, period_start, period_end, usage, 0, 0, 0, 0, false, false, false, %(now)s
            FROM rated q
            WHERE NOT over AND (usage <> 0 OR EXISTS (
                SELECT 1 FROM {rating_table} e
                WHERE e.service_id = q.service_id AND e.addon_id = q.addon_id AND e.period_start = q.period_start))
            ON CONFLICT (service_id, addon_id, period_start) DO UPDATE SET
                period_end = EXCLUDED.period_end, usage = EXCLUDED.usage, overage = 0, cost_amount = 0,
                over_maximum = false, due = 0 > o.charged_amount, rated_at = EXCLUDED.rated_at
            WHERE o.usage <> EXCLUDED.usage OR o.over_maximum
            RETURNING 1
        )
        SELECT service_id, addon_id, period_start, period_end, raw FROM rated WHERE over
        UNION ALL
        SELECT NULL, (SELECT count(*) FROM rated), NULL, NULL, (SELECT count(*) FROM written)
    """  # noqa: S608 - names are ours
    params: dict[str, Any] = {
        "addons": [r.addon.pk for r in items],
        "divisors": [r.divisor for r in items],
        "is_max": [r.maximum_of for r in items],
        "included": [r.addon.included for r in items],
        "maximum": [r.addon.maximum for r in items],
        "pair_addons": [p[0] for p in pairs],
        "pair_tariffs": [p[1] for p in pairs],
        "pair_metrics": [p[2] for p in pairs],
        "provider": provider.pk,
        "since": since,
        "until": until,
        "live": list(LIVE),
        "tariffs": list(by_tariff),
        "only": only,
        "now": now,
    }
    if month is not None:
        params["month"], params["month_end"] = month
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_id = {rater.addon.pk: rater for rater in items}
    for service_id, addon_id, period_start, period_end, raw in rows:
        if service_id is None:  # the counts
            run.ratings += addon_id
            run.written += int(raw)
            continue
        over[(service_id, addon_id, period_start)] = (period_end, by_id[addon_id].rate_raw(raw))


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
