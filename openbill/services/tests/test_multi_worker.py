"""Several machines, one database: two real ``openbill worker`` processes share one renew sweep.

Each worker stands for a machine of its own (its own process, its own connections, its own
worker id); the leased batches are all they share. Every due service must be renewed exactly
once — one period charge, one ledger row with its unique key, the right balance — and both
workers must have done some of the batches.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from openbill.billing.models import LedgerEntry
from openbill.clients.models import Client
from openbill.services.automation import engine
from openbill.services.automation.models import BatchState, RunState, SweepBatch, SweepRun

from .test_concurrency_sweeps import AT, assert_each_renewed_once, make_due

ROOT = Path(__file__).resolve().parents[3]


def _worker(env: dict[str, str], log: Path, name: str) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "openbill.cli", "worker", "--no-scheduler", "--interval", "0.05", "--worker-id", name],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.postgres
@pytest.mark.serial
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_share_one_sweep_and_renew_every_due_service_once(
    provider, vps_plan, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENBILL_SWEEP_BATCH", "60")
    due = make_due(provider, vps_plan, clients=120, per_client=10, at=AT)  # 1,200 due services
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "workers.log"
    workers = [_worker(env, log, "machine-a"), _worker(env, log, "machine-b")]
    try:
        time.sleep(4)  # both idle and polling: the committed plan below is their starting gun
        planned = engine.plan_run("renew", at=AT, run_key="two-machines", enqueue=True, chain=False)
        assert len(planned.batch_ids) == 20  # 6 whole clients (60 services) a batch
        deadline = time.monotonic() + 120
        while SweepRun.objects.get(pk=planned.run.pk).state == RunState.RUNNING:
            assert time.monotonic() < deadline, log.read_text()
            assert all(w.poll() is None for w in workers), log.read_text()
            time.sleep(0.1)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)

    assert not SweepBatch.objects.filter(run=planned.run).exclude(state=BatchState.DONE).exists()
    assert_each_renewed_once(due)
    # One ledger row per renewal, each under a key of its own (the unique constraint holds them).
    charges = LedgerEntry.objects.filter(service_id__in=due, kind="charge")
    assert charges.values("key").distinct().count() == len(due)
    assert not charges.values("service_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(charges.values_list("amount", flat=True)) == {Decimal("-10.00")}
    owners = Client.objects.filter(services__in=list(due)).distinct()
    balances = Counter(balance for _pk, balance in owners.values_list("pk", "balance_amount"))
    assert balances == {Decimal("900.00"): 120}  # 1000 − 10 × 10.00 for each of the 120 clients

    # Both machines did work, and between them every renewal once.
    renewed_by: Counter[str] = Counter()
    tasks = DBTaskResult.objects.filter(
        task_path="openbill.services.sweeps.run_sweep_batch", status=TaskResultStatus.SUCCESSFUL
    )
    for worker_ids, result in tasks.values_list("worker_ids", "return_value"):
        renewed_by[str(worker_ids[-1])] += int((result or {}).get("renewed", 0))
    assert set(renewed_by) == {"machine-a", "machine-b"}, renewed_by
    assert all(count > 0 for count in renewed_by.values()), renewed_by
    assert sum(renewed_by.values()) == len(due)
