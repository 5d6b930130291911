"""``openbill bench lifecycle --services N``: the renew sweep at scale, with 1 and 2 workers.

Fills PostgreSQL with N due services of a throw-away provider (5 per client by default), starts
real ``openbill worker`` processes, plans the renew stage (scoped to that provider, so nothing
else in the database is touched) and measures from the plan to the run's last batch. The second
run (2 workers) is a month later, when the same services are due again. Peak memory is the
workers' maximum resident set size (``wait4``). The bench provider's rows are removed at the end
unless ``--keep``.
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

from openbill.billing.models import EntryKind, Expense, LedgerEntry
from openbill.catalog.models import PeriodPrice, ProductKind, ProductType, TariffPlan
from openbill.clients.models import Client, Provider
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


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--services", type=int, default=10000, help="Due services to renew (default 10000).")
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
        fill(provider, n, per_client, at=started)
        say(f"filled {n} due services for {-(-n // per_client)} clients in {time.perf_counter() - t:.1f} s")
        result: dict[str, Any] = {"services": n, "renewals_per_s": {}, "seconds": {}, "peak_rss_mb": 0.0}
        at = started
        for index, workers in enumerate(counts):
            if index:
                at = add_period(at, "month")
            renewed, seconds, rss = measure(provider, at=at, workers=workers, batch=options["batch"], tag=index)
            rate = renewed / seconds if seconds else 0.0
            result["renewals_per_s"][str(workers)] = round(rate)
            result["seconds"][str(workers)] = round(seconds, 2)
            result["peak_rss_mb"] = round(max(result["peak_rss_mb"], rss), 1)
            say(
                f"{workers} worker(s): {renewed} renewals in {seconds:.2f} s = {rate:,.0f} renewals/s, "
                f"peak worker RSS {rss:.0f} MB"
            )
            if renewed != n:
                raise CommandError(f"expected {n} renewals, got {renewed}")
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


def fill(provider: Provider, n: int, per_client: int, *, at: Any) -> None:
    ptype = ProductType.objects.create(provider=provider, kind=ProductKind.VIRTUAL_SERVER, name="Bench VPS")
    tariff = TariffPlan.objects.create(product_type=ptype, name="Bench-1")
    PeriodPrice.objects.create(tariff=tariff, period="month", price=PRICE)
    n_clients = -(-n // per_client)
    with transaction.atomic():
        clients = Client.objects.bulk_create(
            [
                Client(provider=provider, name=f"Bench {i}", email=f"bench{i}@bench.invalid", balance_amount=BALANCE)
                for i in range(n_clients)
            ],
            batch_size=5000,
        )
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    client=c,
                    kind=EntryKind.PAYMENT,
                    amount=BALANCE,
                    currency="USD",
                    balance_after=BALANCE,
                    key=f"bench-topup:{provider.pk}:{c.pk}",
                    **text_fields("description", Text("top_up", method="bank")),
                    created_at=at,
                )
                for c in clients
            ],
            batch_size=5000,
        )
    expires = at - timedelta(hours=1)
    rows = []
    for i in range(n):
        rows.append(
            Service(
                client=clients[i // per_client],
                tariff=tariff,
                product_type=ptype,
                name=f"bench-{i}",
                status=Status.ACTIVE,
                period="month",
                auto_renew=True,
                created_at=at - timedelta(days=30),
                activated_at=at - timedelta(days=30),
                expires_at=expires,
            )
        )
        if len(rows) == 10000:
            Service.objects.bulk_create(rows, batch_size=5000)
            rows = []
    if rows:
        Service.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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


def measure(provider: Provider, *, at: Any, workers: int, batch: int, tag: int) -> tuple[int, float, float]:
    """Renewals, seconds from plan to the last batch, peak worker RSS in MB."""
    with connection.cursor() as cursor:  # each run starts from tables without the last run's dead rows
        for model in (Service, Client, LedgerEntry):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    procs = spawn(workers, tag)
    time.sleep(3.0)  # Django starts in each worker before the clock starts
    os.environ["OPENBILL_SWEEP_BATCH"] = str(batch)
    t0 = time.perf_counter()
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
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    rss_kb = 0
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        rss_kb = max(rss_kb, usage.ru_maxrss)
    renewed = sum(
        (r or {}).get("renewed", 0) for r in SweepBatch.objects.filter(run=planned.run).values_list("result", flat=True)
    )
    return renewed, seconds, rss_kb / 1024


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
    """Remove the bench provider's rows (bench scaffolding, not real money) and its queued tasks."""
    from django_tasks_db.models import DBTaskResult

    clients = Client.objects.filter(provider=provider)
    services = Service.objects.filter(client__provider=provider)
    with transaction.atomic():
        DBTaskResult.objects.filter(enqueued_at__gte=since, task_path__startswith="openbill.services.sweeps").delete()
        SweepRun.objects.filter(provider_ids=[provider.pk]).delete()
        Notice.objects.filter(client__in=clients).delete()
        ServiceEvent.objects.filter(service__in=services).delete()
        Expense.objects.filter(client__in=clients).delete()
        LedgerEntry.objects.filter(client__in=clients).delete()
        services.delete()
        clients.delete()
        TariffPlan.objects.filter(product_type__provider=provider).delete()
        ProductType.objects.filter(provider=provider).delete()
        provider.delete()
