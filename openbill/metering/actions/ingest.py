"""Ingestion: store batches of usage records set-based, idempotent per record id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from openbill.catalog.models import Addon, StatisticsPeriod
from openbill.clients.models import Client, Provider
from openbill.core.timeutil import local_date
from openbill.services.choices import Status
from openbill.services.models import Service

from .. import rating
from ..models import QUANTITY_DIGITS, QUANTITY_PLACES, Source, UsageRecord
from ..units import base_unit, convert, dimension
from .common import QUANTUM, late_days, metric_units, statistics_addons, window_start


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


def _moment_array(values: Iterable[date]) -> str:
    """Dates or datetimes in ISO 8601, each distinct one written once (a batch holds few buckets)."""
    texts: dict[date, str] = {}
    out = []
    for value in values:
        text = texts.get(value)
        if text is None:
            text = texts[value] = value.isoformat()
        out.append(text)
    return "{" + ",".join(out) + "}"


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
                        _moment_array(row[2] for _rid, row in chunk),
                        _moment_array(row[3] for _rid, row in chunk),
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
