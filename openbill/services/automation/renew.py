"""The renew stage: auto-renew due services from the balance, one batch of whole clients at a time.

Two paths leave exactly the same rows (a test compares their fingerprints):

- ``renew_each`` calls services.renewal.renew_service per service (the reference) — used on
  SQLite, the embedded default, where one writer at a time makes set-based SQL pointless;
- ``renew_set`` (PostgreSQL) locks the batch's due services (waiting for a click that holds one;
  the click's renewal then takes it out of the selection) and then their clients, decides every renewal in
  Python from the locked balances in the same order renew_service would, and writes each table
  with one statement (``unnest`` arrays): about ten statements per thousand renewals instead of
  ten per renewal (reliability.md: 1,383/s with the ORM, ~7,800/s set-based).

Lock order is services, then clients — the order renew_service takes them — so a sweep and a
click cannot deadlock.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count

from openbill.billing.models import EntryKind, Expense, ExpenseKind, LedgerEntry
from openbill.billing.rules import ledger_key, period_key
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition, InsufficientFunds
from openbill.core.models import Notice
from openbill.core.notify import notify
from openbill.core.timeutil import start_of_local_day
from openbill.invoicing.selectors import renewals_adjusted

from .. import actions, remote
from ..choices import Operation, Status, SuspendReason
from ..models import Service, ServiceAddon, ServiceEvent
from ..renewal import period_start, renew_service, renewal_description, renewal_note
from . import due
from .base import SWEEP_ACTOR, FuseTripped, Slice, batch_size, slices_of, stage, sweep_tasks
from .models import SweepBatch, SweepRun

# The fuse's second bound: a batch that finds more than this many times what was due when it
# was planned (plus a little slack for services that fell due since) stops the sweep.
FUSE_FACTOR = 2
FUSE_SLACK = 10

log = logging.getLogger("openbill.sweeps")

# renew_service lifts the expired reason as the system's "renewal", whoever paid.
RESUME_ACTOR = Actor.system("renewal")

ROW_FIELDS = ("pk", "client_id", "expires_at", "period", "tariff_id", "name", "suspended_expired")


def due_rows(run: SweepRun, lo: int, hi: int, *, lock: bool) -> list[tuple[Any, ...]]:
    horizons = due.renew_horizons(run.at, run.provider_ids or None)
    query = Service.objects.filter(due.renew_due(horizons, clients=(lo, hi)))
    if lock:
        # Wait for rows another transaction holds, never skip them: a worker that took this
        # batch over from one whose lease ran out must not report the rows that one still holds
        # as done. PostgreSQL re-checks the filter on the row it waited for, so a service a
        # client just extended drops out; all sweeps lock in the same order, so they queue.
        query = query.select_for_update(of=("self",))
    return list(query.order_by("client_id", "expires_at", "pk").values_list(*ROW_FIELDS))


def charged_today(service_ids: list[int], run: SweepRun, tz_of: dict[int, Any], client_of: dict[int, int]) -> list[int]:
    """Services this sweep already charged since the start of the provider's local day."""
    if not service_ids:
        return []
    earliest = min(start_of_local_day(run.at, tz) for tz in set(tz_of.values()))
    rows = LedgerEntry.objects.filter(
        service_id__in=service_ids,
        kind=EntryKind.CHARGE,
        created_by=str(SWEEP_ACTOR),
        created_at__gte=earliest,
        created_at__lte=run.at,
    ).values_list("service_id", "created_at")
    return sorted(
        {sid for sid, at in rows if at >= start_of_local_day(run.at, tz_of[client_of[sid]]) and sid is not None}
    )


def check_fuse(
    run: SweepRun,
    batch: SweepBatch,
    rows: list[tuple[Any, ...]],
    tz_of: dict[int, Any],
    charged: list[tuple[int, datetime]] | None = None,
) -> None:
    """Trip when the batch holds far more than was due, or a service this sweep charged today."""
    if len(rows) > batch.expected * FUSE_FACTOR + FUSE_SLACK:
        raise FuseTripped(
            "far more services due than planned",
            {"planned": batch.expected, "found": len(rows), "clients": [batch.lo, batch.hi]},
        )
    client_of = {r[0]: r[1] for r in rows}
    if charged is None:
        twice = charged_today([r[0] for r in rows], run, tz_of, client_of)
    else:
        twice = sorted({sid for sid, at in charged if at >= start_of_local_day(run.at, tz_of[client_of[sid]])})
    if twice:
        raise FuseTripped("a service would be charged twice in one day", {"services": twice[:50], "count": len(twice)})


@stage("renew")
class Renew:
    @staticmethod
    def plan(at: datetime, provider_ids: list[int] | None) -> list[Slice]:
        horizons = due.renew_horizons(at, provider_ids)
        counts = list(
            Service.objects.filter(due.renew_due(horizons))
            .order_by("client_id")
            .values("client_id")
            .annotate(n=Count("pk"))
            .values_list("client_id", "n")
        )
        # ~2,000 services (whole clients) per transaction on PostgreSQL: each batch holds its
        # rows for a fraction of a second, and the commit's flush is shared by enough renewals.
        size = batch_size(2000 if connection.vendor == "postgresql" else 100)
        return slices_of(counts, size)

    @staticmethod
    def process(run: SweepRun, batch: SweepBatch) -> dict[str, Any]:
        set_based = connection.vendor == "postgresql" and not getattr(Renew, "force_each", False)
        if set_based and not renewals_adjusted(batch.lo, batch.hi):
            return renew_set(run, batch)
        return renew_each(run, batch)


def _context(client_ids: set[int]) -> tuple[dict[int, str], dict[int, Any]]:
    currency_of: dict[int, str] = {}
    tz_of: dict[int, Any] = {}
    providers: dict[int, Any] = {}
    for cid, pid in Client.objects.filter(pk__in=client_ids).values_list("pk", "provider_id"):
        if pid not in providers:
            providers[pid] = due.Provider.objects.get(pk=pid)
        currency_of[cid] = providers[pid].currency
        tz_of[cid] = providers[pid].tz
    return currency_of, tz_of


def renew_each(run: SweepRun, batch: SweepBatch) -> dict[str, Any]:
    """The reference path: renew_service per due service, in (client, expiry, id) order."""
    rows = due_rows(run, batch.lo, batch.hi, lock=False)
    currency_of, tz_of = _context({r[1] for r in rows})
    check_fuse(run, batch, rows, tz_of)
    renewed, failed, skipped, unrenewed = 0, [], 0, []
    renewed_ids: list[int] = []
    for sid, cid, expires_at, _period, _tariff, name, _expired in rows:
        start = period_start(expires_at, run.at)
        try:
            with transaction.atomic():
                renewal = renew_service(sid, actor=SWEEP_ACTOR, now=run.at, expected_start=start)
                if renewal.created:
                    notify(
                        renewal.expense.client,
                        "service_renewed",
                        key=renewed_notice_key(sid, start),
                        now=run.at,
                        context=due.renewed_context(
                            name, sid, Decimal(renewal.expense.amount), currency_of[cid], renewal.period_end, tz_of[cid]
                        ),
                    )
                    renewed += 1
                    renewed_ids.append(sid)
                else:
                    skipped += 1
        except InsufficientFunds:
            failed.append(sid)
            unrenewed.append(sid)
        except (DomainError, IllegalTransition):
            skipped += 1
            unrenewed.append(sid)
    start_prolong(renewed_ids, now=run.at, clients=(batch.lo, batch.hi))
    return _result(renewed, failed, skipped, unrenewed)


def renewed_notice_key(service_id: int, start: datetime) -> str:
    return f"renewed:{service_id}:{period_key(start)}"


def start_prolong(service_ids: list[int], *, now: datetime, clients: tuple[int, int]) -> int:
    """After the charge, in the same transaction: the module's ``prolong`` runs as the
    service's renewal operation (a provisioning task, retried like any other; History shows it).
    A service with another operation open (a resume after an expiry stop) is left alone.
    ``clients``: the batch's range of client ids, which holds every service renewed (the
    services with such a module are looked up by it, not by a list of thousands of ids)."""
    kinds = remote.queue().prolonging_kinds()
    if not service_ids or not kinds:
        return 0
    started = 0
    renewed = set(service_ids)
    lo, hi = clients
    candidates = Service.objects.filter(client_id__gte=lo, client_id__lte=hi, module__kind__in=kinds).values_list(
        "pk", flat=True
    )
    for sid in sorted(renewed.intersection(candidates)):
        service = actions.lock(sid)
        if service.operation or service.status not in (Status.ACTIVE, Status.SUSPENDED):
            log.info("service %s renewed; its module's prolong waits for the open %s", sid, service.operation)
            continue
        actions.start_operation(service, Operation.RENEWAL, actor=SWEEP_ACTOR, now=now)
        started += 1
    return started


def _result(renewed: int, failed: list[int], skipped: int, unrenewed: list[int]) -> dict[str, Any]:
    """``unrenewed_ids``: the due services this batch saw under their locks and could not renew
    (no funds, no price, refused). Only these may be stopped for expiry by the same run."""
    return {
        "renewed": renewed,
        "failed": len(failed),
        "failed_ids": failed,
        "skipped": skipped,
        "unrenewed_ids": unrenewed,
    }


class _TimedCursor:
    """psycopg's server-side binding (Django's default cursor quotes arrays in Python), on
    Django's connection and so in its transaction; with OPENBILL_SWEEP_PROFILE set, each
    statement's time is logged."""

    def __init__(self) -> None:
        import psycopg

        connection.ensure_connection()
        self.cursor = psycopg.Cursor(connection.connection)
        self.profile = bool(os.environ.get("OPENBILL_SWEEP_PROFILE"))

    def __enter__(self) -> _TimedCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cursor.close()

    def execute(self, sql: str, params: list[Any]) -> None:
        started = time.perf_counter()
        with connection.wrap_database_errors:  # psycopg's errors as Django's (IntegrityError…)
            self.cursor.execute(sql, params)
        if self.profile:
            log.warning("%.1f ms %s", (time.perf_counter() - started) * 1000, " ".join(sql.split())[:60])

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()

    def copy_rows(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        started = time.perf_counter()
        with connection.wrap_database_errors, self.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        if self.profile:
            log.warning("%.1f ms %s", (time.perf_counter() - started) * 1000, sql[:60])


def _q(template: str) -> str:
    """Fill in the tables' names (from the models, never from input) and the staged JSON parts'
    places; values are always bound."""
    tables = {
        "ledger": LedgerEntry._meta.db_table,
        "expense": Expense._meta.db_table,
        "service": Service._meta.db_table,
        "client": Client._meta.db_table,
        "event": ServiceEvent._meta.db_table,
        "notice": Notice._meta.db_table,
        "addon": ServiceAddon._meta.db_table,
    }
    return template.format(**tables, **{name: _param(name) for name in STAGED_PARAMS})


def _cursor() -> _TimedCursor:
    return _TimedCursor()


STAGED_FIELDS = (
    "ord",
    "service_id",
    "client_id",
    "amount",
    "balance_after",
    "ledger_key",
    "description_kind",
    "start_key",
    "currency",
    "period_start",
    "period_end",
    "note_kind",
    "notice_key",
    "params",
)
# The JSON parts of a staged row travel as one JSON array (one encoding per renewal, not four);
# the SQL takes each by its place here (``_param``).
STAGED_PARAMS = ("description_params", "note_params", "notice_context", "components")


def _param(name: str) -> str:
    return f"r.params->{STAGED_PARAMS.index(name)}"


def staged_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """A staged row by field name, its JSON parts decoded by theirs."""
    fields = dict(zip(STAGED_FIELDS, row, strict=True))
    fields.update(zip(STAGED_PARAMS, json.loads(fields.pop("params")), strict=True))
    return fields


def staged_rows(
    wanted: list[due.RenewalDecision],
    balances: dict[int, Decimal],
    *,
    currency_of: dict[int, str],
    tz_of: dict[int, Any],
) -> list[tuple[Any, ...]]:
    """What the set-based path writes for the renewals decided, one row per renewal (fields:
    STAGED_FIELDS), from the same rules as renew_service: the period's key, the ledger key,
    the description and History note, and each ledger entry's balance after, in order, as
    post_entry computes it from the locked row (``balances``, by client)."""
    running = dict(balances)
    staged = []
    for order, d in enumerate(wanted):
        assert d.amount is not None
        start_key = period_key(d.start)
        currency = currency_of[d.client_id]
        tz = tz_of[d.client_id]
        description = renewal_description(d.name, d.end, tz)
        note = renewal_note(d.start, d.end, d.amount, currency)
        key = None
        if d.amount != 0:
            running[d.client_id] -= d.amount
            key = ledger_key(d.service_id, ExpenseKind.PERIOD, start_key)
        params = (
            description.stored(tz),
            note.stored(tz),
            due.renewed_context(d.name, d.service_id, d.amount, currency, d.end, tz),
            d.components or {},
        )
        staged.append(
            (
                order,
                d.service_id,
                d.client_id,
                d.amount,
                running[d.client_id],
                key,
                description.kind,
                start_key,
                currency,
                d.start,
                d.end,
                note.kind,
                renewed_notice_key(d.service_id, d.start),
                json.dumps(params),
            )
        )
    return staged


def renew_set(run: SweepRun, batch: SweepBatch) -> dict[str, Any]:
    """The set-based path (PostgreSQL), in the caller's transaction."""
    rows = due_rows(run, batch.lo, batch.hi, lock=True)
    if not rows:
        return _result(0, [], 0, [])
    now = run.at
    client_ids = sorted({r[1] for r in rows})
    service_ids = [r[0] for r in rows]
    with _cursor() as cursor:
        # Reads by "= ANY(array)": one bound parameter instead of a thousand-item IN list. The
        # arrays are cast to the columns' type: psycopg sends small ids as integer[], and
        # "bigint = ANY(integer[])" can use an index but not a hash, so a filter compares each
        # row with every id in turn.
        cursor.execute(
            _q(
                "SELECT id, balance_amount, credit_limit, provider_id FROM {client} WHERE id = ANY(%s::bigint[]) "
                "ORDER BY id FOR UPDATE"
            ),
            [client_ids],
        )
        locked = cursor.fetchall()
        funds = {cid: due.ClientFunds(balance, limit) for cid, balance, limit, _pid in locked}
        providers = {p.pk: p for p in due.providers({pid for *_rest, pid in locked})}
        currency_of = {cid: providers[pid].currency for cid, *_rest, pid in locked}
        tz_of = {cid: providers[pid].tz for cid, *_rest, pid in locked}
        earliest = min(start_of_local_day(now, tz) for tz in set(tz_of.values()))
        cursor.execute(
            _q(
                "SELECT service_id, created_at FROM {ledger} WHERE service_id = ANY(%s::bigint[]) AND kind = %s "
                "AND created_by = %s AND created_at >= %s AND created_at <= %s"
            ),
            [service_ids, EntryKind.CHARGE, str(SWEEP_ACTOR), earliest, now],
        )
        check_fuse(run, batch, rows, tz_of, charged=cursor.fetchall())
        # renew_service charges nothing and moves nothing when the period's charge already exists.
        starts = {r[0]: period_key(period_start(r[2], now)) for r in rows}
        # One probe of the unique (service, kind, key) index per due service, whatever the
        # planner's statistics say: a LATERAL subquery with LIMIT is always a nested loop. As
        # "service_id = ANY(…) AND key = ANY(…)", or as a join that the planner may hash, the
        # lookup read the whole table of charges in every batch (stale statistics while a sweep
        # doubles it), so its cost grew with the table, not with the batch.
        cursor.execute(
            _q(
                "SELECT t.service_id, t.key FROM unnest(%s::bigint[], %s::text[]) AS t(service_id, key) "
                "CROSS JOIN LATERAL (SELECT 1 FROM {expense} e WHERE e.service_id = t.service_id "
                "AND e.kind = %s AND e.key = t.key LIMIT 1) AS done"
            ),
            [service_ids, [starts[sid] for sid in service_ids], ExpenseKind.PERIOD],
        )
        done_keys = set(cursor.fetchall())
        cursor.execute(
            _q(
                "SELECT service_id, addon_id, quantity, enum_item_id FROM {addon} WHERE service_id = ANY(%s::bigint[]) "
                "ORDER BY id"
            ),
            [service_ids],
        )
        lines: dict[int, list[tuple[int, Decimal, int | None]]] = {}
        for sid, addon_id, quantity, item_id in cursor.fetchall():
            lines.setdefault(sid, []).append((addon_id, quantity, item_id))
    todo = [tuple(r) for r in rows if (r[0], starts[r[0]]) not in done_keys]
    locked_balance = {cid: wallet.balance for cid, wallet in funds.items()}
    pricer = due.Pricer()
    pricer.preloaded_lines = lines
    decisions = due.decide_renewals(todo, funds, now=now, pricer=pricer, currency_of=currency_of, tz_of=tz_of)
    wanted = [d for d in decisions if d.ok]
    failed = [d.service_id for d in decisions if d.reason == "funds"]
    skipped = len(rows) - len(wanted) - len(failed)
    unrenewed = [d.service_id for d in decisions if not d.ok]
    if not wanted:
        return _result(0, failed, skipped, unrenewed)

    actor = str(SWEEP_ACTOR)
    staged = staged_rows(wanted, locked_balance, currency_of=currency_of, tz_of=tz_of)
    with _cursor() as cursor:
        # One staging table per session, emptied at commit; COPY fills it at C speed and each
        # target table is then written by one statement.
        cursor.execute(
            _q("""CREATE TEMP TABLE IF NOT EXISTS openbill_renewal (
                ord int, service_id bigint, client_id bigint, amount numeric, balance_after numeric,
                ledger_key varchar(200), description_kind varchar(40),
                start_key varchar(160), currency varchar(3), period_start timestamptz, period_end timestamptz,
                note_kind varchar(40), notice_key varchar(200), params jsonb
            ) ON COMMIT DELETE ROWS"""),
            [],
        )
        # Empty it first: inside an outer transaction (a test, the preview check) nothing commits.
        cursor.execute("TRUNCATE openbill_renewal", [])
        cursor.copy_rows("COPY openbill_renewal FROM STDIN", staged)
        cursor.execute(
            _q("""WITH entries AS (
                INSERT INTO {ledger} (client_id, kind, amount, currency, balance_after, key, description_kind,
                                      description_params, service_id, created_at, created_by)
                SELECT client_id, %s, -amount, currency, balance_after, ledger_key, description_kind,
                       {description_params}, service_id, %s, %s
                FROM openbill_renewal r WHERE ledger_key IS NOT NULL ORDER BY ord
                RETURNING id, key
            )
            INSERT INTO {expense} (service_id, client_id, kind, key, amount, currency, period_start,
                                   period_end, entry_id, created_at, components)
            SELECT r.service_id, r.client_id, %s, r.start_key, r.amount, r.currency, r.period_start,
                   r.period_end, entries.id, %s, {components}
            FROM openbill_renewal r LEFT JOIN entries ON entries.key = r.ledger_key ORDER BY r.ord"""),
            [EntryKind.CHARGE, now, actor, ExpenseKind.PERIOD, now],
        )
        cursor.execute(
            _q("UPDATE {service} s SET expires_at = r.period_end FROM openbill_renewal r WHERE s.id = r.service_id"),
            [],
        )
        cursor.execute(
            _q("""UPDATE {client} c SET balance_amount = c.balance_amount - r.total
            FROM (SELECT client_id, sum(amount) AS total FROM openbill_renewal GROUP BY client_id) r
            WHERE c.id = r.client_id AND r.total <> 0"""),
            [],
        )
        cursor.execute(
            _q("""INSERT INTO {event} (service_id, at, actor_kind, actor_user_id, actor_label, kind, from_status,
                                   to_status, note_kind, note_params)
            SELECT service_id, %s, %s, NULL, %s, 'renewed', '', '', note_kind, {note_params}
            FROM openbill_renewal r ORDER BY ord"""),
            [now, SWEEP_ACTOR.kind, actor],
        )
        cursor.execute(
            _q("""INSERT INTO {notice} (key, client_id, template, context, created_at, error)
            SELECT notice_key, client_id, 'service_renewed', {notice_context}, %s, ''
            FROM openbill_renewal r ORDER BY ord
            ON CONFLICT (key) DO NOTHING
            RETURNING id"""),
            [now],
        )
        notice_ids = [row[0] for row in cursor.fetchall()]
    if notice_ids:
        sweep_tasks().send_notices(notice_ids)
    # A service stopped only because it expired resumes once paid, as renew_service does.
    for d in wanted:
        if d.suspended_expired:
            actions.resume(actions.lock(d.service_id), reason=SuspendReason.EXPIRED, actor=RESUME_ACTOR, now=now)
    start_prolong([d.service_id for d in wanted], now=now, clients=(batch.lo, batch.hi))
    return _result(len(wanted), failed, skipped, unrenewed)
