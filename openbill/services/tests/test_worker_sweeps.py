"""``openbill worker``: the scheduler enqueues the lifecycle once per slot however many workers
tick, the worker runs the chain of stages through the real database task backend, and the
reaper hands back a batch whose worker died holding its lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openbill.billing.models import Expense
from openbill.core import scheduler
from openbill.core.models import SweepSlot
from openbill.core.tests import factories as f
from openbill.core.worker import OpenbillWorker
from openbill.services.automation import engine
from openbill.services.automation.models import BatchState, RunState, SweepBatch, SweepRun

AT = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)


@pytest.fixture
def backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    scheduler.load_sweeps()


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_enqueues_the_lifecycle_once_per_slot_however_many_workers_tick(backend):
    for _worker in range(3):  # three workers' schedulers in the same slot
        scheduler.tick(AT)
        scheduler.tick(AT + timedelta(seconds=30))

    assert SweepSlot.objects.filter(sweep="lifecycle").count() == 1
    assert DBTaskResult.objects.filter(task_path="openbill.services.sweeps.plan_stage").count() == 1
    scheduler.tick(AT + timedelta(minutes=10))  # the next slot
    assert SweepSlot.objects.filter(sweep="lifecycle").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_lifecycle_chain_through_the_task_queue(backend, alice, vps_plan):
    with time_machine.travel(AT, tick=False):
        service = f.service(alice, vps_plan, expires_at=AT + timedelta(hours=3))
        scheduler.tick(AT)
    OpenbillWorker(batch=True, schedule=False, interval=0).run()

    service.refresh_from_db()
    alice.refresh_from_db()
    assert service.expires_at == datetime(2026, 4, 10, 3, 5, tzinfo=UTC)
    assert alice.balance_amount == Decimal("90.00")
    assert list(SweepRun.objects.order_by("pk").values_list("sweep", "state")) == [
        ("renew", RunState.DONE),
        ("expire", RunState.DONE),
        ("delete", RunState.DONE),
        ("notices", RunState.DONE),
    ]
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


@pytest.mark.django_db(transaction=True)
def test_the_reaper_hands_back_a_batch_whose_worker_died_and_it_is_done_once(backend, alice, vps_plan, monkeypatch):
    monkeypatch.setenv("OPENBILL_SWEEP_LEASE_SECONDS", "60")
    service = f.service(alice, vps_plan, expires_at=AT + timedelta(hours=3))
    planned = engine.plan_run("renew", at=AT, run_key="reaper", chain=False)
    (batch_id,) = planned.batch_ids
    assert engine.claim(batch_id, worker="dead-worker") is not None  # claimed, then the worker died

    assert engine.reap() == 0  # its lease still runs: nobody else may take it
    assert engine.run_batch(batch_id) == {"skipped": "not claimable"}
    assert engine.reap(now=timezone.now() + timedelta(seconds=61)) == 1  # the lease ran out
    OpenbillWorker(batch=True, schedule=False, interval=0).run()

    batch = SweepBatch.objects.get(pk=batch_id)
    assert batch.state == BatchState.DONE and batch.attempts == 2
    assert Expense.objects.filter(service=service).count() == 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00")
