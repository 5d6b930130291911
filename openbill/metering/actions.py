"""Metering actions: ingest usage, collect it from modules, rate it, charge and suspend.

The meter sweep (sweeps.py) runs ``meter``: collect from modules, rate every live service's
current reporting periods set-based (``rate_provider``), then settle each service that needs it
(``settle_service``: charge the increase since the last charge, suspend or lift overuse) in its
own short transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind
from openbill.catalog.models import Addon, BillingType, OverageWithoutFunds, StatisticsPeriod
from openbill.clients.models import Client, Provider
from openbill.core.actors import Actor
from openbill.core.errors import InsufficientFunds
from openbill.core.money import money_value, round_amount
from openbill.core.notify import notify
from openbill.core.timeutil import local_date
from openbill.services import actions as service_actions
from openbill.services.choices import Status, SuspendReason
from openbill.services.models import Service
from openbill.services.selectors import renewal_amount, with_pricing

from . import rating
from .models import QUANTITY_DIGITS, QUANTITY_PLACES, CollectionCursor, OverageRating, Source, UsageRecord
from .units import base_unit, convert, dimension

log = logging.getLogger(__name__)

MAX_BATCH = 5000
METER = Actor.system("meter")
LIVE = (Status.ACTIVE, Status.SUSPENDED)
ZERO = Decimal(0)
QUANTUM = Decimal("0.000000001")


def late_days() -> int:
    """Days after a reporting period ends during which late records are still accepted and the
    period is re-rated (``METERING_LATE_DAYS``, 3 by default)."""
    return int(getattr(settings, "METERING_LATE_DAYS", 3))


def window_start(today: date) -> date:
    """The oldest local date the meter still rates: the 1st of the month that was current
    ``late_days`` ago. Records older than that are refused (their period is closed)."""
    return rating.month_start(today - timedelta(days=late_days()))


# --- statistics add-ons by tariff -------------------------------------------------------------
def statistics_addons(provider: Provider) -> dict[int, list[Addon]]:
    addons: dict[int, list[Addon]] = defaultdict(list)
    for addon in Addon.objects.filter(
        billing_type=BillingType.STATISTICS, tariff__product_type__provider=provider
    ).order_by("tariff_id", "position", "id"):
        addons[addon.tariff_id].append(addon)
    return addons


def metric_units(addons: dict[int, list[Addon]]) -> dict[int, dict[str, str]]:
    """tariff id → measured parameter → the unit of the add-on that measures it."""
    return {
        tariff_id: {metric: addon.unit for addon in items for metric in rating.metrics_of(addon)}
        for tariff_id, items in addons.items()
    }


# --- ingestion --------------------------------------------------------------------------------
@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def _quantity(value: Any) -> Decimal | None:
    if type(value) is str:  # the usual case: a decimal string (Decimal ignores surrounding blanks)
        try:
            quantity = Decimal(value)
        except (InvalidOperation, ValueError):
            return None
        return quantity if quantity.is_finite() else None
    if isinstance(value, bool) or value is None or isinstance(value, float | dict | list):
        # floats would carry binary noise into money: quantities come as strings or integers
        if isinstance(value, float) and value == value and abs(value) != float("inf"):
            return Decimal(str(value))
        return None
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return quantity if quantity.is_finite() else None


def _bucket(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())  # type: ignore[assignment]
        except ValueError:
            return None
        if moment is None:
            return None
    else:
        return None
    if timezone.is_naive(moment):
        return None
    return moment


def ingest(
    provider: Provider,
    records: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    source: str = Source.API,
) -> IngestResult:
    """Store a batch of usage records, set-based and idempotent per record id.

    Each record: ``id`` (unique per provider), ``service`` (id), ``resource`` (a measured
    parameter of one of the tariff's statistics add-ons), ``at`` (the bucket's start, with a
    zone), ``quantity`` (≥ 0, a string or an integer) and optionally ``unit`` (default: the
    add-on's). Bad records are rejected one by one with the reason; the good ones are kept.

    One query for the services, one multi-row INSERT … ON CONFLICT DO NOTHING RETURNING per
    few thousand records, and one SELECT only for the ids that were already there.
    """
    result = IngestResult()
    tz = provider.tz
    today = local_date(now, tz)
    addons = statistics_addons(provider)
    units = metric_units(addons)
    oldest = closing_dates(addons, today)

    def reject(index: int, rid: Any, reason: str, field_name: str) -> None:
        result.rejected.append(
            {"index": index, "id": rid if isinstance(rid, str) else None, "field": field_name, "reason": reason}
        )

    service_ids = set()
    for raw in records:
        if type(raw) is dict or isinstance(raw, Mapping):
            sid = raw.get("service")
            if type(sid) is int and 0 < sid < 2**63:  # a database id
                service_ids.add(sid)
    services = _services(provider, service_ids)
    factors: dict[tuple[str, str], Decimal] = {}
    # Providers report many records per time bucket: each distinct "at" is parsed once.
    buckets: dict[str, tuple[datetime, date] | None] = {}

    candidates: dict[str, tuple[int, Row]] = {}
    for index, raw in enumerate(records):
        if type(raw) is not dict and not isinstance(raw, Mapping):
            reject(index, None, _("A record must be an object."), "records")
            continue
        rid = raw.get("id")
        if type(rid) is not str or not rid.strip() or len(rid) > 200 or "\x00" in rid:
            reject(index, rid, _("The record id must be a text of 1 to 200 characters."), "id")
            continue
        sid = raw.get("service")
        # Another provider's service is "unknown" too: its existence is none of this caller's business.
        found = services.get(sid) if type(sid) is int else None
        if found is None:
            reject(index, rid, _("Unknown service."), "service")
            continue
        tariff_id, status = found
        service_pk: int = sid  # type: ignore[assignment]  # found only for an int id
        if status == Status.DELETED:
            reject(index, rid, _("The service is deleted."), "service")
            continue
        resource = raw.get("resource")
        known = units.get(tariff_id, {})
        if type(resource) is not str or resource not in known:
            reject(index, rid, _("Unknown resource for this service's tariff."), "resource")
            continue
        quantity = _quantity(raw.get("quantity"))
        if quantity is None:
            reject(index, rid, _("The quantity must be a number."), "quantity")
            continue
        if quantity < 0:
            reject(index, rid, _("The quantity must not be negative."), "quantity")
            continue
        addon_unit = known[resource]
        unit = raw.get("unit") or addon_unit
        if not isinstance(unit, str) or len(unit) > 20:
            reject(index, rid, _("Unknown unit."), "unit")
            continue
        factor = factors.get((unit, addon_unit))
        if factor is None:
            if dimension(unit)[0] != dimension(addon_unit)[0]:
                reject(
                    index,
                    rid,
                    _("%(unit)s cannot be converted to %(target)s.") % {"unit": unit, "target": addon_unit or "-"},
                    "unit",
                )
                continue
            factor = factors[(unit, addon_unit)] = convert(Decimal(1), unit, base_unit(addon_unit))
        raw_at = raw.get("at")
        if type(raw_at) is str:
            if raw_at in buckets:
                bucket = buckets[raw_at]
            else:
                moment = _bucket(raw_at)
                bucket = buckets[raw_at] = None if moment is None else (moment, local_date(moment, tz))
        else:
            moment = _bucket(raw_at)
            bucket = None if moment is None else (moment, local_date(moment, tz))
        if bucket is None:
            reject(index, rid, _("The bucket start must be a date and time with a time zone."), "at")
            continue
        at, on = bucket
        if at > now:
            reject(index, rid, _("The bucket is in the future."), "at")
            continue
        if on < oldest[(tariff_id, resource)]:
            reject(index, rid, _("The reporting period of this bucket is closed."), "at")
            continue
        row = (service_pk, resource, at, on, (quantity * factor).quantize(QUANTUM))
        if rid in candidates:
            if candidates[rid][1][:3] + candidates[rid][1][4:] == row[:3] + row[4:]:
                result.duplicates += 1
            else:
                reject(index, rid, _("This record id was already sent with another quantity."), "id")
            continue
        candidates[rid] = (index, row)

    if not candidates:
        return result
    mine = insert_records(provider.pk, [(rid, row) for rid, (_i, row) in candidates.items()], source=source, now=now)
    # The ids already stored (sent before, or by a concurrent caller a moment ago): the stored
    # row decides whether this is a harmless duplicate or a conflicting quantity.
    others = [rid for rid in candidates if rid not in mine]
    stored = _stored(provider, others) if others else {}
    for rid, (index, row) in candidates.items():
        if rid in mine:
            result.accepted += 1
        elif rid in stored and stored[rid] == (row[0], row[1], row[2], row[4]):
            result.duplicates += 1
        else:
            reject(index, rid, _("This record id was already sent with another quantity."), "id")
    result.rejected.sort(key=lambda item: item["index"])
    return result


Row = tuple[int, str, datetime, date, Decimal]  # service, resource, at, on, quantity in base units


def closing_dates(addons: dict[int, list[Addon]], today: date) -> dict[tuple[int, str], date]:
    """(tariff, measured parameter) → the oldest local date whose records are still rated.

    A monthly add-on's period stays open until ``late_days`` after the month ends; a daily
    add-on's day stays open ``late_days`` after it. Older records are refused: they would
    never be charged."""
    late = late_days()
    monthly_open = window_start(today)
    daily_open = today - timedelta(days=late)
    oldest: dict[tuple[int, str], date] = {}
    for tariff_id, items in addons.items():
        for addon in items:
            opens = daily_open if addon.statistics_period == StatisticsPeriod.DAY else monthly_open
            for metric in rating.metrics_of(addon):
                key = (tariff_id, metric)
                oldest[key] = max(oldest.get(key, opens), opens)
    return oldest


def _services(provider: Provider, ids: set[int]) -> dict[int, tuple[int, str]]:
    """service id → (tariff id, status) of this provider's services among ``ids`` (one query)."""
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        # One array parameter instead of thousands of scalars to adapt and send.
        service = Service._meta.db_table
        client = Client._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT s."id", s."tariff_id", s."status" FROM "{service}" s '  # noqa: S608 - names are ours
                f'JOIN "{client}" c ON c."id" = s."client_id" '
                'WHERE c."provider_id" = %s AND s."id" = ANY(%s::bigint[])',
                [provider.pk, _int_array(ids)],
            )
            return {pk: (tariff_id, status) for pk, tariff_id, status in cursor.fetchall()}
    return {
        pk: (tariff_id, status)
        for pk, tariff_id, status in Service.objects.filter(pk__in=ids, client__provider=provider).values_list(
            "pk", "tariff_id", "status"
        )
    }


# PostgreSQL array literals built in one pass: adapting a Python list of thousands of items
# element by element costs more than the whole INSERT's validation.
def _int_array(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _text_array(values: Iterable[str]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _plain_array(values: Iterable[Any]) -> str:
    """Dates, datetimes (ISO 8601) and decimals (never in exponent form): nothing to quote."""
    return "{" + ",".join(v.isoformat() if isinstance(v, date) else f"{v:f}" for v in values) + "}"


_COLUMNS = ("provider_id", "record_id", "service_id", "resource", "at", "on", "quantity", "source", "created_at")


def insert_records(provider_id: int, rows: list[tuple[str, Row]], *, source: str, now: datetime) -> set[str]:
    """Insert set-based, skipping ids already stored (ON CONFLICT DO NOTHING); returns the ids
    this call inserted (RETURNING), so that concurrent callers never both count a record."""
    if not rows:
        return set()
    ops = connection.ops
    # 9 parameters a row: PostgreSQL takes 65,535 per statement, SQLite 32,766.
    chunk_size = 5000 if connection.vendor == "postgresql" else 3000
    table = ops.quote_name(UsageRecord._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in _COLUMNS)
    conflict = f"{ops.quote_name('provider_id')}, {ops.quote_name('record_id')}"
    created = ops.adapt_datetimefield_value(now)
    placeholders = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    inserted: set[str] = set()
    if connection.vendor == "postgresql":
        # Nine array parameters instead of 45,000 scalars: PostgreSQL unnests them server-side.
        returning = ops.quote_name("record_id")
        with connection.cursor() as cursor:
            for offset in range(0, len(rows), chunk_size):
                chunk = rows[offset : offset + chunk_size]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names are ours
                    "SELECT %s, r, s, m, a, o, q, %s, %s FROM unnest("
                    "%s::text[], %s::bigint[], %s::text[], %s::timestamptz[], %s::date[], %s::numeric[]"
                    ") AS t(r, s, m, a, o, q) "
                    f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
                    [
                        provider_id,
                        source,
                        now,
                        _text_array(rid for rid, _row in chunk),
                        _int_array(row[0] for _rid, row in chunk),
                        _text_array(row[1] for _rid, row in chunk),
                        _plain_array(row[2] for _rid, row in chunk),
                        _plain_array(row[3] for _rid, row in chunk),
                        _plain_array(row[4] for _rid, row in chunk),
                    ],
                )
                inserted.update(rid for (rid,) in cursor.fetchall())
        return inserted
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), chunk_size):
            chunk = rows[offset : offset + chunk_size]
            params: list[Any] = []
            for rid, (service_id, resource, at, on, quantity) in chunk:
                params += [
                    provider_id,
                    rid,
                    service_id,
                    resource,
                    ops.adapt_datetimefield_value(at),
                    ops.adapt_datefield_value(on),
                    ops.adapt_decimalfield_value(quantity, QUANTITY_DIGITS, QUANTITY_PLACES),
                    source,
                    created,
                ]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "  # noqa: S608 - names are ours
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {ops.quote_name('record_id')}",
                params,
            )
            inserted.update(rid for (rid,) in cursor.fetchall())
    return inserted


def _stored(provider: Provider, ids: list[str]) -> dict[str, tuple[int, str, datetime, Decimal]]:
    rows: dict[str, tuple[int, str, datetime, Decimal]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        if connection.vendor == "postgresql":
            # One array parameter for the ids (as the insert takes them), not 5,000 scalars.
            with connection.cursor() as cursor:
                cursor.execute(
                    'SELECT "record_id", "service_id", "resource", "at", "quantity" '  # noqa: S608 - names are ours
                    f'FROM "{UsageRecord._meta.db_table}" '
                    'WHERE "provider_id" = %s AND "record_id" = ANY(%s::text[])',
                    [provider.pk, _text_array(chunk)],
                )
                found: Iterable[tuple[str, int, str, datetime, Any]] = cursor.fetchall()
        else:
            found = UsageRecord.objects.filter(provider=provider, record_id__in=chunk).values_list(
                "record_id", "service_id", "resource", "at", "quantity"
            )
        for rid, service_id, resource, at, quantity in found:
            rows[rid] = (service_id, resource, at, Decimal(quantity).quantize(QUANTUM))
    return rows


# --- collection from modules ------------------------------------------------------------------
def collect_from_modules(*, now: datetime, provider: Provider | None = None, chunk: int = 500) -> dict[str, int]:
    """Ask every module with the ``statistics`` capability for its services' usage since the
    last collection and store it as usage records with derived ids (service, metric, bucket).

    Remote calls happen outside any transaction. The records of a chunk of services and their
    new cursors (the last reading of each cumulative counter) are then written in one
    transaction, so a crash in between leaves the cursors where they were and the next run
    counts the same interval again, never twice.
    """
    from openbill.core.crypto import decrypt_json
    from openbill.provisioning.models import ProcessingModule
    from openbill.provisioning.modules import ModuleError, get_module
    from openbill.provisioning.modules.base import ServiceSpec, usage_between

    counts = {"services": 0, "records": 0, "rejected": 0, "errors": 0}
    modules = ProcessingModule.objects.filter(enabled=True).select_related("provider")
    if provider is not None:
        modules = modules.filter(provider=provider)
    for instance in modules:
        try:
            module = get_module(instance.kind)
        except ModuleError:
            continue
        if "statistics" not in module.capabilities:
            continue
        secrets = decrypt_json(instance.secrets_encrypted) if instance.secrets_encrypted else {}
        measured = metric_units(statistics_addons(instance.provider))
        services = list(
            Service.objects.filter(module=instance, status__in=LIVE, tariff_id__in=list(measured))
            .exclude(remote_id="")
            .order_by("pk")
            .prefetch_related("addons__addon", "addons__enum_item")
        )
        for offset in range(0, len(services), chunk):
            part = services[offset : offset + chunk]
            cursors: dict[tuple[int, str], CollectionCursor] = {
                (c.service_id, c.metric): c
                for c in CollectionCursor.objects.filter(service_id__in=[s.pk for s in part])
            }
            earliest: dict[int, datetime] = {}
            for (sid, _metric), cursor in cursors.items():
                earliest[sid] = min(earliest.get(sid, cursor.collected_through), cursor.collected_through)
            records: list[dict[str, Any]] = []
            new_cursors: dict[tuple[int, str], CollectionCursor] = {}
            for service in part:
                known = measured.get(service.tariff_id, {})
                since = earliest.get(service.pk, now - timedelta(hours=1))
                spec = ServiceSpec(
                    service_id=service.pk,
                    name=service.name,
                    remote_id=service.remote_id,
                    period=service.period,
                    parameters=dict(service.parameters),
                    resources={
                        line.addon.resource: (line.enum_item.code if line.enum_item else line.quantity)
                        for line in service.addons.all()
                    },
                    idempotency_key=f"statistics:{service.pk}:{now.isoformat()}",
                    config=dict(instance.config),
                    secrets=secrets,
                    module_id=instance.pk,
                )
                try:
                    samples = module.statistics(spec, since, now)
                except ModuleError as exc:
                    counts["errors"] += 1
                    log.warning("statistics of service %s failed: %s", service.pk, exc)
                    continue
                counts["services"] += 1
                for sample in samples:
                    if sample.metric not in known:
                        continue
                    quantity = Decimal(sample.quantity)
                    previous = cursors.get((service.pk, sample.metric))
                    if sample.cumulative:
                        used = usage_between(previous.reading if previous else None, quantity)
                        start = previous.collected_through if previous else sample.start
                        reading: Decimal | None = quantity
                    else:
                        used, start, reading = quantity, sample.start, None
                    new_cursors[(service.pk, sample.metric)] = CollectionCursor(
                        service_id=service.pk, metric=sample.metric, reading=reading, collected_through=sample.end
                    )
                    if used == 0 and sample.cumulative:
                        continue  # a baseline, or an idle counter: nothing to record
                    records.append(
                        {
                            "id": f"module:{service.pk}:{sample.metric}:{start.isoformat()}",
                            "service": service.pk,
                            "resource": sample.metric,
                            "at": start,
                            "quantity": used,
                            "unit": sample.unit,
                        }
                    )
            with transaction.atomic():
                for batch in range(0, len(records), MAX_BATCH):
                    outcome = ingest(
                        instance.provider, records[batch : batch + MAX_BATCH], now=now, source=Source.MODULE
                    )
                    counts["records"] += outcome.accepted
                    counts["rejected"] += len(outcome.rejected)
                CollectionCursor.objects.bulk_create(
                    list(new_cursors.values()),
                    update_conflicts=True,
                    unique_fields=["service", "metric"],
                    update_fields=["reading", "collected_through"],
                    batch_size=2000,
                )
    return counts


# --- rating -----------------------------------------------------------------------------------
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


# --- charging, suspension and its lifting -----------------------------------------------------
def overage_key(rated: OverageRating) -> str:
    """The business key of an overage increment: (add-on, reporting period, rated-through
    overage). The same rating charged twice finds its key taken; more usage makes a new key."""
    return f"{rated.addon_id}:{rated.period_start.isoformat()}:{rating.normalized(rated.overage)}"


@dataclass
class Settled:
    charged: Decimal = ZERO
    suspended: bool = False
    lifted: bool = False


def settle_service(service_id: int, *, now: datetime, actor: Actor = METER) -> Settled:
    """Charge what the service's ratings cost above what was charged; suspend for overuse over a
    maximum or for an overage that cannot be paid (as the tariff says); lift overuse once the
    current periods are within their maximums and nothing is left unpaid. One transaction; the
    service row is locked first (as renewal does), then the ratings, then the client."""
    outcome = Settled()
    with transaction.atomic():
        service = service_actions.lock(service_id)
        if service.status not in LIVE:
            return outcome
        provider = service.client.provider
        today = local_date(now, provider.tz)
        ratings = list(
            OverageRating.objects.select_for_update()
            .filter(service=service)
            .filter(Q(due=True) | Q(over_maximum=True, period_start__lte=today, period_end__gt=today))
            .select_related("addon")
            .order_by("period_start", "addon_id")
        )
        must_suspend: list[tuple[str, OverageRating]] = []
        for rated in ratings:
            if rated.over_maximum and rated.period_start <= today < rated.period_end:
                must_suspend.append(("limit", rated))
            if not rated.due:
                continue
            increment = rated.cost_amount - rated.charged_amount
            if increment <= 0:
                rated.due = False
                rated.save(update_fields=["due"])
                continue
            check_fuse(service, rated, increment)  # raises: this transaction charges nothing
            charged = _charge_increment(service, rated, increment, now=now, actor=actor)
            if charged is None:
                rated.unpaid = True
                rated.save(update_fields=["unpaid"])
                must_suspend.append(("unpaid", rated))
                continue
            outcome.charged += charged
        for why, rated in must_suspend:
            _notify(service, rated, why, now=now)
        if must_suspend and not service.suspended_overuse:
            service_actions.suspend(
                service, reason=SuspendReason.OVERUSE, actor=actor, now=now, note=must_suspend[0][0]
            )
            outcome.suspended = True
        elif not must_suspend and service.suspended_overuse and not _still_blocked(service, today):
            service_actions.resume(service, reason=SuspendReason.OVERUSE, actor=actor, now=now)
            outcome.lifted = True
    return outcome


# The meter's fuse: one overage charge above this many times the service's usual amount (its
# largest earlier overage charge, or its price for one period if larger) is not made; the sweep
# stops and staff get a sweep alert (a meter reporting bytes as GiB, a counter gone wild).
METER_FUSE_FACTOR = 100


class OverageFuseTripped(Exception):
    def __init__(self, details: dict[str, Any]) -> None:
        super().__init__("an overage charge far above the service's usual")
        self.details = details


def usual_charge(service: Service, rated: OverageRating) -> Decimal:
    """The amount this service is usually charged: its largest overage charge before this
    reporting period of this add-on, or one period of its tariff if that is more."""
    earlier = (
        Expense.objects.filter(service=service, kind=ExpenseKind.OVERAGE)
        .exclude(key__startswith=f"{rated.addon_id}:{rated.period_start.isoformat()}:")
        .aggregate(largest=Max("amount"))["largest"]
        or ZERO
    )
    priced = with_pricing(Service.objects.filter(pk=service.pk)).get()
    return max(earlier, renewal_amount(priced) or ZERO)


def check_fuse(service: Service, rated: OverageRating, increment: Decimal) -> None:
    usual = usual_charge(service, rated)
    if usual > 0 and increment > usual * METER_FUSE_FACTOR:
        raise OverageFuseTripped(
            {
                "service": service.pk,
                "addon": rated.addon_id,
                "period": rated.period_start.isoformat(),
                "amount": f"{round_amount(increment, service.client.currency):f}",
                "usual": f"{round_amount(usual, service.client.currency):f}",
                "factor": METER_FUSE_FACTOR,
            }
        )


def _still_blocked(service: Service, today: date) -> bool:
    return (
        OverageRating.objects.filter(service=service)
        .filter(Q(due=True, unpaid=True) | Q(over_maximum=True, period_start__lte=today, period_end__gt=today))
        .exists()
    )


def _charge_increment(
    service: Service, rated: OverageRating, increment: Decimal, *, now: datetime, actor: Actor
) -> Decimal | None:
    """Charge one increment; returns the amount charged, or None when funds are short and the
    tariff says to suspend."""
    key = overage_key(rated)
    description = _("Overage: %(addon)s, %(period)s") % {
        "addon": rated.addon.name,
        "period": _period_text(rated),
    }
    common: dict[str, Any] = {
        "kind": ExpenseKind.OVERAGE,
        "key": key,
        "amount": increment,
        "description": description,
        "now": now,
        "actor": actor,
    }
    charge_anyway = service.tariff.overage_without_funds == OverageWithoutFunds.CHARGE
    # The client row read with the locked service is a fresh hint; post_entry re-checks the
    # funds under the client's lock whenever the hint says they suffice.
    short = service.client.available_amount < increment
    if short and not charge_anyway:
        return None
    try:
        with transaction.atomic():
            expense, created = charge_service(service, **common, allow_overdraft=short)
    except InsufficientFunds:
        if not charge_anyway:
            return None
        short = True
        expense, created = charge_service(service, **common, allow_overdraft=True)
    if short:
        # "Charge anyway": the tariff's rule let this charge take the balance past the limit.
        _notify(service, rated, "overdraft", now=now)
    charged_total = (
        Expense.objects.filter(
            service=service,
            kind=ExpenseKind.OVERAGE,
            key__startswith=f"{rated.addon_id}:{rated.period_start.isoformat()}:",
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    rated.charged_amount = charged_total
    rated.charged_through = rated.overage
    rated.due = rated.cost_amount > charged_total
    rated.unpaid = False
    rated.save(update_fields=["charged_amount", "charged_through", "due", "unpaid"])
    return expense.amount if created else ZERO


def _period_text(rated: OverageRating) -> str:
    if rated.period_end - rated.period_start == timedelta(days=1):
        return rated.period_start.isoformat()
    return rated.period_start.strftime("%Y-%m")


def _notify(service: Service, rated: OverageRating, why: str, *, now: datetime) -> None:
    notify(
        service.client,
        f"overage_{why}",
        key=f"overage:{why}:{service.pk}:{rated.addon_id}:{rated.period_start.isoformat()}",
        now=now,
        context={
            "service_id": service.pk,
            "service_name": service.name,
            "addon_name": rated.addon.name,
            "period": _period_text(rated),
            "used": f"{rated.usage.normalize():f} {rated.addon.unit}".strip(),
            "included": f"{rated.addon.included.normalize():f} {rated.addon.unit}".strip(),
            "maximum": f"{rated.addon.maximum.normalize():f} {rated.addon.unit}".strip()
            if rated.addon.maximum is not None
            else "",
            "cost": money_value(rated.cost_amount, service.client.currency),
        },
    )


def settle_client(client_id: int, *, now: datetime) -> int:
    """Retry the unpaid overage of a client's services now (e.g. right after a payment), instead
    of waiting for the next meter run; returns how many services were settled."""
    service_ids = sorted(
        set(OverageRating.objects.filter(service__client_id=client_id, due=True).values_list("service_id", flat=True))
        | set(Service.objects.filter(client_id=client_id, suspended_overuse=True).values_list("pk", flat=True))
    )
    if open_meter_alert():
        return 0
    for service_id in service_ids:
        try:
            settle_service(service_id, now=now)
        except OverageFuseTripped as exc:
            trip_meter(exc)
            return 0
    return len(service_ids)


def open_meter_alert() -> bool:
    from openbill.services.automation.engine import open_alert

    return open_alert("meter") is not None


def trip_meter(exc: OverageFuseTripped) -> None:
    """Stop the meter's charges and tell staff: a log line and an open sweep alert (resolved in
    admin, as the renew sweep's)."""
    from openbill.services.automation.models import SweepAlert

    SweepAlert.objects.create(sweep="meter", reason=str(exc), details=exc.details, created_at=timezone.now())
    log.error("FUSE: meter sweep stopped: %s %s", exc, exc.details)


# --- the sweep --------------------------------------------------------------------------------
def meter(*, now: datetime, collect: bool = True) -> dict[str, int]:
    """Collect, rate and settle every provider's services (the meter sweep)."""
    totals = {
        "collected": 0,
        "ratings": 0,
        "written": 0,
        "settled": 0,
        "suspended": 0,
        "lifted": 0,
        "tripped": 0,
        "blocked": 0,
    }
    if collect:
        totals["collected"] = collect_from_modules(now=now)["records"]
    if open_meter_alert():
        # Stopped by the fuse until staff resolve the alert: usage is still collected, nothing
        # is rated into charges or charged.
        log.error("meter sweep is stopped by the fuse; resolve its alert in admin")
        totals["blocked"] = 1
        return totals
    for provider in Provider.objects.all():
        run = rate_provider(provider, now=now)
        totals["ratings"] += run.ratings
        totals["written"] += run.written
        today = local_date(now, provider.tz)
        candidates = set(run.services)
        candidates.update(
            OverageRating.objects.filter(due=True, service__client__provider=provider).values_list(
                "service_id", flat=True
            )
        )
        candidates.update(
            Service.objects.filter(client__provider=provider, suspended_overuse=True).values_list("pk", flat=True)
        )
        candidates.update(
            OverageRating.objects.filter(
                service__client__provider=provider, over_maximum=True, period_start__lte=today, period_end__gt=today
            )
            .exclude(service__suspended_overuse=True)
            .values_list("service_id", flat=True)
        )
        for service_id in sorted(candidates):
            try:
                done = settle_service(service_id, now=now)
            except OverageFuseTripped as exc:
                trip_meter(exc)
                totals["tripped"] = 1
                return totals
            except Exception:  # one service's failure must not stop the others
                log.exception("settling overage of service %s failed", service_id)
                continue
            totals["settled"] += 1
            totals["suspended"] += int(done.suspended)
            totals["lifted"] += int(done.lifted)
    return totals
