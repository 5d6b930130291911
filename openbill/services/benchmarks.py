"""``openbill bench lifecycle --services N [--due D]``: the renew sweep at scale, 1 and 2 workers.

Fills PostgreSQL (set-based, core.bulk) with N services of a throw-away provider (5 per client
by default), D of them due (all by default; spread over the clients), starts real ``openbill
worker`` processes, plans the renew stage (scoped to that provider, so nothing else in the
database is touched) and measures from the plan to the run's last batch. The second run
(2 workers) is a month later, when the same services are due again. Each renewal writes all it
writes in production (charge, ledger entry, expiry, History, notice); the notices' mail is sent
after the sweep's batches, and what is still unsent when a measurement ends is dropped rather than
sent during the next one. Peak memory is the workers' maximum resident set size (``wait4``). The
bench provider's rows are removed at the end unless ``--keep``.

Targets (issue 14): at least 8,000 renewals/s with 2 workers at N = D = 100,000, and the same
rate at N = 1,000,000 with D = 100,000; peak worker RSS under 300 MB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from openbill.billing.models import EntryKind, Expense, LedgerEntry
from openbill.catalog.models import PeriodPrice, ProductKind, ProductType, TariffPlan
from openbill.clients.models import Client, Provider
from openbill.core.bulk import insert_series
from openbill.core.models import Notice
from openbill.core.texts import Text
from openbill.core.texts import fields as text_fields
from openbill.core.timeutil import add_period

from .automation import engine
from .automation.models import RunState, SweepBatch, SweepRun
from .choices import Status
from .models import Service, ServiceEvent

BALANCE = Decimal("1000.00")
PRICE = Decimal("10.00")
NOTICE_TASK = "openbill.services.sweeps.send_notices"
BATCH_TASK = "openbill.services.sweeps.run_sweep_batch"


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--services", type=int, default=10000, help="Services in the bench (default 10000).")
    parser.add_argument(
        "--due", type=int, default=None, help="How many of them are due, spread over the clients (default: all)."
    )
    parser.add_argument("--per-client", type=int, default=5, help="Services per client (default 5).")
    parser.add_argument("--batch", type=int, default=2000, help="Services per batch (whole clients).")
    parser.add_argument("--workers", default="1,2", help="Worker counts to measure, e.g. 1,2.")
    parser.add_argument("--keep", action="store_true", help="Keep the bench provider's data.")


def run(options: dict[str, Any], stdout: Any) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        raise CommandError("openbill bench lifecycle needs PostgreSQL (set DATABASE_URL).")
    n = options["services"]
    per_client = max(1, options["per_client"])
    counts = [int(c) for c in str(options["workers"]).split(",") if c.strip()]
    started = timezone.now()
    provider = Provider.objects.create(name=f"Bench {started.isoformat()}", currency="USD", time_zone="UTC")

    def say(text: str) -> None:
        if not options.get("json"):
            stdout.write(text)

    try:
        t = time.perf_counter()
        due = fill(provider, n, per_client, at=started, due=options["due"])
        filled = time.perf_counter() - t
        say(f"filled {n} services ({due} due) for {-(-n // per_client)} clients in {filled:.1f} s")
        result: dict[str, Any] = {
            "services": n,
            "due": due,
            "fill_seconds": round(filled, 1),
            "renewals_per_s": {},
            "seconds": {},
            "peak_rss_mb": 0.0,
        }
        at = started
        for index, workers in enumerate(counts):
            if index:
                at = add_period(at, "month")
            renewed, seconds, rss, cpu = measure(
                provider, at=at, workers=workers, batch=options["batch"], tag=index, since=started
            )
            rate = renewed / seconds if seconds else 0.0
            result["renewals_per_s"][str(workers)] = round(rate)
            result["seconds"][str(workers)] = round(seconds, 2)
            result.setdefault("worker_cpu_us_per_renewal", {})[str(workers)] = round(cpu * 1e6 / max(renewed, 1))
            result["peak_rss_mb"] = round(max(result["peak_rss_mb"], rss), 1)
            say(
                f"{workers} worker(s): {renewed} renewals in {seconds:.2f} s = {rate:,.0f} renewals/s, "
                f"worker CPU {cpu * 1e6 / max(renewed, 1):.0f} µs per renewal, peak worker RSS {rss:.0f} MB"
            )
            if renewed != due:
                raise CommandError(f"expected {due} renewals, got {renewed}")
        problems = audit(provider)
        result["audit_problems"] = len(problems)
        say(f"ledger audit of the bench clients: {len(problems)} problems")
        if not options.get("json"):
            say("")
            say(f"{'workers':>8} {'renewals/s':>12} {'seconds':>9}")
            for workers in counts:
                say(f"{workers:>8} {result['renewals_per_s'][str(workers)]:>12,} {result['seconds'][str(workers)]:>9}")
            say(f"peak worker RSS: {result['peak_rss_mb']} MB")
        return result
    finally:
        if not options["keep"]:
            cleanup(provider, since=started)


def fill(provider: Provider, n: int, per_client: int, *, at: Any, due: int | None = None) -> int:
    """``n`` services of ``per_client`` each over n / per_client clients with a paid balance,
    set-based (core.bulk: one INSERT … SELECT per table). ``due`` of them (all by default,
    spread evenly over the clients) expire an hour before ``at``; the others in a year.
    Returns the number due."""
    ptype = ProductType.objects.create(provider=provider, kind=ProductKind.VIRTUAL_SERVER, name="Bench VPS")
    tariff = TariffPlan.objects.create(product_type=ptype, name="Bench-1")
    PeriodPrice.objects.create(tariff=tariff, period="month", price=PRICE)
    n_clients = -(-n // per_client)
    every = max(1, n // (due or n))  # service i is due when i % every == 0
    table = Client._meta.db_table
    clients = f"(SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM {table} WHERE provider_id = %s) c"  # noqa: S608
    with transaction.atomic():
        insert_series(
            Client,
            Client(provider=provider, name="Bench", email="bench@bench.invalid", balance_amount=BALANCE),
            varying={"name": "'Bench ' || g", "email": "'bench' || g || '@bench.invalid'"},
            source="generate_series(0, %s - 1) g",
            params=[n_clients],
        )
        insert_series(
            LedgerEntry,
            LedgerEntry(
                kind=EntryKind.PAYMENT,
                amount=BALANCE,
                currency="USD",
                balance_after=BALANCE,
                **text_fields("description", Text("top_up", method="bank")),
                created_at=at,
            ),
            varying={"client_id": "c.id", "key": "'bench-topup:' || %s || ':' || c.id"},
            source=clients,
            params=[provider.pk, provider.pk],
        )
        insert_series(
            Service,
            Service(
                client_id=0,
                tariff=tariff,
                product_type=ptype,
                name="bench",
                status=Status.ACTIVE,
                period="month",
                auto_renew=True,
                created_at=at - timedelta(days=30),
                activated_at=at - timedelta(days=30),
            ),
            varying={
                "client_id": "c.id",
                "name": "'bench-' || (c.i * %s + k)",
                "expires_at": "CASE WHEN (c.i * %s + k) %% %s = 0 THEN %s::timestamptz ELSE %s::timestamptz END",
            },
            source=f"{clients} CROSS JOIN generate_series(0, %s - 1) k WHERE c.i * %s + k < %s",
            params=[
                per_client,
                per_client,
                every,
                at - timedelta(hours=1),
                at + timedelta(days=365),
                provider.pk,
                per_client,
                per_client,
                n,
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return len(range(0, n, every))


def spawn(workers: int, tag: int) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openbill.cli",
                "worker",
                "--no-scheduler",
                "--interval",
                "0.02",
                "--worker-id",
                f"bench-{tag}-{i}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for i in range(workers)
    ]


def measure(
    provider: Provider, *, at: Any, workers: int, batch: int, tag: int, since: Any
) -> tuple[int, float, float, float]:
    """Renewals, seconds from plan to the last batch, peak worker RSS in MB, and the CPU seconds
    the workers spent in that time (their own process, not the database's)."""
    with connection.cursor() as cursor:  # each run starts from tables without the last run's dead rows
        for model in (Service, Client, LedgerEntry):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    procs = spawn(workers, tag)
    time.sleep(3.0)  # Django starts in each worker before the clock starts
    os.environ["OPENBILL_SWEEP_BATCH"] = str(batch)
    t0 = time.perf_counter()
    cpu0 = cpu_seconds(procs)
    planned = engine.plan_run(
        "renew", at=at, run_key=f"bench:{provider.pk}:{tag}", provider_ids=[provider.pk], enqueue=True, chain=False
    )
    assert planned.run is not None
    while True:
        state = SweepRun.objects.filter(pk=planned.run.pk).values_list("state", flat=True).get()
        if state != RunState.RUNNING:
            break
        if any(p.poll() is not None for p in procs):
            raise CommandError("a worker exited during the bench")
        failed = DBTaskResult.objects.filter(
            task_path=BATCH_TASK, status=TaskResultStatus.FAILED, enqueued_at__gte=since
        ).first()
        if failed is not None:
            stop(procs)
            raise CommandError(f"a batch failed: {failed.exception_class_path}\n{failed.traceback}")
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds(procs) - cpu0
    rss_kb = stop(procs)
    # The mail of the renewals is sent after the sweep's batches (a lower priority), at the mail
    # server's pace; what the workers left unsent is not carried into the next measurement.
    drop_notice_tasks(provider, since=since)
    renewed = sum(
        (r or {}).get("renewed", 0) for r in SweepBatch.objects.filter(run=planned.run).values_list("result", flat=True)
    )
    return renewed, seconds, rss_kb / 1024, cpu


def cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> float:
    """User and system CPU of the processes so far (Linux's /proc; 0 elsewhere)."""
    total = 0
    for proc in procs:
        try:
            with open(f"/proc/{proc.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def stop(procs: list[subprocess.Popen[bytes]]) -> int:
    """Stop the workers (each finishes its task first); their peak resident set size in kB."""
    rss_kb = 0
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        rss_kb = max(rss_kb, usage.ru_maxrss)
    return rss_kb


def drop_notice_tasks(provider: Provider, *, since: Any) -> int:
    """Delete the queued mail tasks of the bench's notices (and of nobody else's)."""
    dropped = 0
    queued = DBTaskResult.objects.filter(
        task_path=NOTICE_TASK, status=TaskResultStatus.READY, enqueued_at__gte=since
    ).values_list("pk", "args_kwargs")
    for pk, args_kwargs in queued:
        ids = (args_kwargs.get("args") or [[]])[0]
        if not Notice.objects.filter(pk__in=ids).exclude(client__provider=provider).exists():
            dropped += DBTaskResult.objects.filter(pk=pk).delete()[0]
    return dropped


def audit(provider: Provider) -> list[str]:
    """The ledger invariants for the bench clients (billing.audit's rules 1 and 2)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM {Client._meta.db_table} c
            LEFT JOIN (SELECT client_id, sum(amount) s FROM {LedgerEntry._meta.db_table} GROUP BY client_id) l
              ON l.client_id = c.id
            WHERE c.provider_id = %s AND c.balance_amount <> coalesce(l.s, 0)""",  # noqa: S608
            [provider.pk],
        )
        (wrong_balance,) = cursor.fetchone() or (0,)
        cursor.execute(
            f"""SELECT count(*) FROM (
              SELECT e.balance_after, sum(e.amount) OVER (PARTITION BY e.client_id ORDER BY e.id) AS running
              FROM {LedgerEntry._meta.db_table} e JOIN {Client._meta.db_table} c ON c.id = e.client_id
              WHERE c.provider_id = %s) x WHERE x.balance_after <> x.running""",  # noqa: S608
            [provider.pk],
        )
        (wrong_after,) = cursor.fetchone() or (0,)
    return [f"{wrong_balance} balances differ from their ledger"] * bool(wrong_balance) + [
        f"{wrong_after} entries with a wrong balance after"
    ] * bool(wrong_after)


def cleanup(provider: Provider, *, since: Any) -> None:
    """Remove the bench provider's rows (bench scaffolding, not real money) and its queued tasks:
    the large tables with one DELETE each, bottom up (the ORM's cascade would load every id)."""
    clients = f"SELECT id FROM {Client._meta.db_table} WHERE provider_id = %s"  # noqa: S608
    services = f"SELECT id FROM {Service._meta.db_table} WHERE client_id IN ({clients})"  # noqa: S608
    with transaction.atomic():
        DBTaskResult.objects.filter(enqueued_at__gte=since, task_path__startswith="openbill.services.sweeps").delete()
        SweepRun.objects.filter(provider_ids=[provider.pk]).delete()
        with connection.cursor() as cursor:
            for model, column, rows in (
                (Notice, "client_id", clients),
                (ServiceEvent, "service_id", services),
                (Expense, "client_id", clients),
                (LedgerEntry, "client_id", clients),
                (Service, "client_id", clients),
                (Client, "id", clients),
            ):
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {column} IN ({rows})", [provider.pk])  # noqa: S608
        TariffPlan.objects.filter(product_type__provider=provider).delete()
        ProductType.objects.filter(provider=provider).delete()
        provider.delete()
