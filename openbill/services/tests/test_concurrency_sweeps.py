"""Exactly once under concurrency, on PostgreSQL: two workers sweeping the same due services
while the client clicks Extend; a worker SIGKILLed in the middle of a sweep, then restarted.

Each test releases its workers together (a barrier for threads; for processes, the committed
plan is the starting gun both idle workers are polling for) and ends with ``openbill audit``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.models import Notice
from openbill.core.tests import factories as f
from openbill.services.automation import engine
from openbill.services.automation.models import BatchState, RunState, SweepBatch, SweepRun
from openbill.services.models import Service, ServiceEvent
from openbill.services.renewal import renew_service

ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # the sweeps' clock; the workers read it from the run


def make_due(provider: Any, plan: Any, *, clients: int, per_client: int, at: Any) -> dict[int, Any]:
    """``clients`` × ``per_client`` services due at ``at``; returns {service id: old expiry}."""
    due = {}
    for c in range(clients):
        owner = f.client(provider, f"c{c}@load.test", balance="1000.00")
        for s in range(per_client):
            expiry = at + timedelta(hours=1, minutes=s)
            due[f.service(owner, plan, expires_at=expiry, name=f"c{c}-s{s}").pk] = expiry
    return due


def assert_each_renewed_once(due: dict[int, Any], *, by_clicks: int = 0) -> None:
    """One period charge per service, for the period after its old expiry, and everything that
    goes with a renewal exactly once: expiry moved, ledger entry, History row, notice."""
    charges: dict[int, list[Any]] = {}
    for sid, start, end in Expense.objects.filter(service_id__in=due, kind="period").values_list(
        "service_id", "period_start", "period_end"
    ):
        charges.setdefault(sid, []).append((start, end))
    expiries = dict(Service.objects.filter(pk__in=due).values_list("pk", "expires_at"))
    for sid, old_expiry in due.items():
        assert len(charges.get(sid, [])) == 1, (sid, charges.get(sid))
        (start, end) = charges[sid][0]
        assert start == old_expiry and expiries[sid] == end, sid
    assert LedgerEntry.objects.filter(service_id__in=due, kind="charge").count() == len(due)
    assert ServiceEvent.objects.filter(service_id__in=due, kind="renewed").count() == len(due)
    # The sweep tells the client it renewed; a click needs no email.
    assert Notice.objects.filter(template="service_renewed").count() == len(due) - by_clicks
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_and_the_clients_extend_charge_each_period_once(provider, vps_plan, monkeypatch):
    monkeypatch.setenv("OPENBILL_SWEEP_BATCH", "8")  # many small batches: more chances to collide
    at = AT
    due = make_due(provider, vps_plan, clients=12, per_client=6, at=at)
    clicked = {sid: expiry for sid, expiry in list(due.items())[::3]}  # the client extends every third one
    # Two runs of the sweep for the same moment (a backlogged run meets the next slot's run),
    # planned before the start so that both hold every due service.
    plans = [engine.plan_run("renew", at=at, run_key=f"overlap-{i}", chain=False) for i in range(2)]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []
    renewed: list[int] = []
    by_clicks: list[int] = []
    client = Actor("client", None, "c@load.test")

    def worker(batch_ids: list[int]) -> None:
        try:
            barrier.wait()
            for batch_id in batch_ids:
                renewed.append(
                    int(engine.run_batch(batch_id, worker=threading.current_thread().name).get("renewed", 0))
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def extend() -> None:
        try:
            barrier.wait()
            for sid, expiry in clicked.items():
                # The click carries the period the page showed: if the sweep got there first,
                # nothing more is charged (renew_service's expected_start).
                renewal = renew_service(sid, actor=client, now=at, expected_start=expiry)
                renewed.append(int(renewal.created))
                by_clicks.append(int(renewal.created))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(p.batch_ids,), name=f"w{i}") for i, p in enumerate(plans)]
    threads.append(threading.Thread(target=extend, name="click"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(renewed) == len(due)  # each period renewed by exactly one of the three
    assert_each_renewed_once(due, by_clicks=sum(by_clicks))
    balances = set(Client.objects.filter(services__in=list(due)).distinct().values_list("balance_amount", flat=True))
    assert balances == {Decimal("940.00")}  # 1000 − 6 × 10.00, whoever renewed
    assert SweepRun.objects.filter(state=RunState.DONE).count() == 2


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "openbill.cli", "worker", "--no-scheduler", "--interval", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.postgres
@pytest.mark.serial
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_leaves_nothing_half_done_and_its_batch_is_redone(
    provider, vps_plan, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENBILL_SWEEP_BATCH", "100")
    at = AT
    due = make_due(provider, vps_plan, clients=200, per_client=10, at=at)  # 2,000 due services
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "OPENBILL_SWEEP_LEASE_SECONDS": "3",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "workers.log"
    victim, survivor = _worker(env, log), _worker(env, log)
    restarted = None
    try:
        time.sleep(4)  # both idle and polling: the committed plan below releases them together
        planned = engine.plan_run("renew", at=at, run_key="kill-test", enqueue=True, chain=False)
        assert len(planned.batch_ids) == 20  # 10 whole clients (100 services) each
        victim_id = f"{socket.gethostname()}:{victim.pid}"
        deadline = time.monotonic() + 60
        held = None
        while time.monotonic() < deadline:
            done = SweepBatch.objects.filter(run=planned.run, state=BatchState.DONE).count()
            candidate = SweepBatch.objects.filter(
                run=planned.run, state=BatchState.RUNNING, lease_owner=victim_id
            ).first()
            if candidate is not None and done >= 1:
                # Freeze it, then make sure it is still inside that batch (not committed yet).
                victim.send_signal(signal.SIGSTOP)
                time.sleep(0.3)  # a COMMIT it had already sent lands meanwhile; then we know
                candidate.refresh_from_db()
                if candidate.state == BatchState.RUNNING and candidate.lease_owner == victim_id:
                    held = candidate
                    break
                victim.send_signal(signal.SIGCONT)
            time.sleep(0.002)
        assert held is not None, log.read_text()
        victim.send_signal(signal.SIGKILL)  # in the middle of its batch's transaction
        victim.wait()
        restarted = _worker(env, log)

        deadline = time.monotonic() + 90
        while SweepRun.objects.get(pk=planned.run.pk).state == RunState.RUNNING:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        # The killed worker's task row does not stay RUNNING: the reaper hands it back and it
        # runs again (finding its batch done).
        killed = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, worker_ids__contains=[victim_id])
        while killed.exists():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        for proc in (victim, survivor, restarted):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)

    held.refresh_from_db()
    assert held.state == BatchState.DONE and held.attempts >= 2  # handed back and done again
    assert not SweepBatch.objects.filter(run=planned.run).exclude(state=BatchState.DONE).exists()
    assert_each_renewed_once(due)
    balances = set(Client.objects.filter(services__in=list(due)).distinct().values_list("balance_amount", flat=True))
    assert balances == {Decimal("900.00")}


def _backend_of(application: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [application],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.serial
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_connection_is_terminated_mid_sweep_leaves_every_renewal_done_once(
    provider, vps_plan, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENBILL_SWEEP_BATCH", "100")
    at = AT
    due = make_due(provider, vps_plan, clients=200, per_client=10, at=at)  # 2,000 due services
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "OPENBILL_SWEEP_LEASE_SECONDS": "3",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "workers.log"
    victim = _worker({**env, "DATABASE_URL": f"{url}?application_name=victim"}, log)
    survivor = _worker({**env, "DATABASE_URL": f"{url}?application_name=survivor"}, log)
    try:
        time.sleep(4)  # both idle and polling
        planned = engine.plan_run("renew", at=at, run_key="terminate-test", enqueue=True, chain=False)
        victim_id = f"{socket.gethostname()}:{victim.pid}"
        deadline = time.monotonic() + 60
        terminated = False
        while not terminated:
            assert time.monotonic() < deadline, log.read_text()
            if SweepBatch.objects.filter(run=planned.run, state=BatchState.RUNNING, lease_owner=victim_id).exists():
                # The database drops the victim's connection in the middle of its batch.
                backends = _backend_of("victim")
                assert backends
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [backends])
                terminated = True
            time.sleep(0.002)
        deadline = time.monotonic() + 90
        while SweepRun.objects.get(pk=planned.run.pk).state == RunState.RUNNING:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert victim.poll() is None, log.read_text()  # it reconnected rather than exit
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)

    assert not SweepBatch.objects.filter(run=planned.run).exclude(state=BatchState.DONE).exists()
    assert_each_renewed_once(due)
    balances = set(Client.objects.filter(services__in=list(due)).distinct().values_list("balance_amount", flat=True))
    assert balances == {Decimal("900.00")}


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def _until(condition: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_taken_over_from_a_worker_stuck_on_a_lock_renews_everything_and_expires_nothing(provider, vps_plan):
    # Given a batch of 2 clients × 3 services expiring at the sweep's moment (no grace days: the
    # expire stage of the same run stops whatever is not renewed)
    at = AT
    due = {}
    for c in range(2):
        owner = f.client(provider, f"lease{c}@load.test", balance="1000.00")
        for s in range(3):
            expiry = at
            due[f.service(owner, vps_plan, expires_at=expiry, name=f"lease{c}-s{s}").pk] = expiry
    first_client = Client.objects.filter(services__in=list(due)).order_by("pk").first()
    planned = engine.plan_run("renew", at=at, run_key="takeover", chain=False)
    assert len(planned.batch_ids) == 1
    batch_id = planned.batch_ids[0]

    holding = threading.Event()
    release = threading.Event()
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def hold_the_client_row() -> None:  # a click or a payment holding the client's balance
        try:
            with transaction.atomic():
                Client.objects.select_for_update().get(pk=first_client.pk)
                holding.set()
                release.wait(30)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def work(name: str) -> None:
        try:
            results[name] = engine.run_batch(batch_id, worker=name)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_client_row)
    holder.start()
    assert holding.wait(30)
    # When the first worker locks the batch's services and then waits for the client row…
    first = threading.Thread(target=work, args=("first",))
    first.start()
    _until(lambda: _waiting_on_locks() >= 1, "the first worker never waited for the client row")
    # …its lease runs out (moved into the past rather than waited for) and a second worker takes over
    SweepBatch.objects.filter(pk=batch_id).update(lease_until=timezone.now() - timedelta(seconds=1))
    second = threading.Thread(target=work, args=("second",))
    second.start()
    _until(
        lambda: SweepBatch.objects.get(pk=batch_id).attempts == 2 or not second.is_alive(),
        "the second worker never claimed the batch",
    )
    # The take-over waits for the rows the first worker holds rather than reporting them done.
    _until(lambda: _waiting_on_locks() >= 2 or not second.is_alive(), "the second worker neither waited nor ended")
    assert SweepBatch.objects.get(pk=batch_id).state == BatchState.RUNNING
    release.set()
    for thread in (holder, first, second):
        thread.join(timeout=60)

    assert errors == []
    assert results["first"] == {"skipped": "lease lost"}
    assert results["second"]["renewed"] == len(due)
    assert SweepBatch.objects.get(pk=batch_id).state == BatchState.DONE
    # Then the expire stage of the same run stops nothing: every client had the money.
    after = engine.run_inline("expire", at=at, run_key="takeover", chain=False)
    assert after["expire"].get("stopped", 0) == 0
    assert not Service.objects.filter(pk__in=list(due), suspended_expired=True).exists()
    assert_each_renewed_once(due)
