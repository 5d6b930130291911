"""``openbill worker`` beyond django-tasks-db's own: a task row left RUNNING by a dead worker is
handed back (or failed after repeated deaths), and a worker rides out a database that goes away."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from openbill.core import scheduler
from openbill.core.worker import OpenbillWorker
from openbill.payments.sweeps import purge_idempotency_keys as harmless_task

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # exited and reaped: no process has it (for the moment of the test)


def running_row(worker_id: str, *, started_ago: timedelta = timedelta(seconds=1), attempts: int = 1) -> DBTaskResult:
    result = harmless_task.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=[f"old:{n}" for n in range(attempts - 1)] + [worker_id],
    )
    return row


@pytest.mark.django_db(transaction=True)
def test_a_task_left_running_by_a_dead_worker_is_run_again(backend):
    here = socket.gethostname()
    lost = running_row(f"{here}:{dead_pid()}")
    alive = running_row(f"{here}:{os.getpid()}")  # a worker of this machine still running it
    elsewhere = running_row("other-host:1")  # another machine's worker, recently started
    hung = running_row("other-host:2", started_ago=timedelta(hours=2))

    assert scheduler.reap(timezone.now()).get("task rows") == 2

    states = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert states[lost.pk] == states[hung.pk] == TaskResultStatus.READY
    assert states[alive.pk] == states[elsewhere.pk] == TaskResultStatus.RUNNING
    OpenbillWorker(batch=True, schedule=False, interval=0).run()
    assert DBTaskResult.objects.get(pk=lost.pk).status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_workers_keep_dying_is_marked_failed(backend):
    row = running_row(f"{socket.gethostname()}:{dead_pid()}", attempts=3)

    scheduler.reap(timezone.now())

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "openbill.core.worker.WorkerLost"


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "openbill.cli", "worker", "--no-scheduler", "--interval", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _terminate_others() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.postgres
@pytest.mark.serial
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_connection_is_killed_keeps_running_tasks(backend, tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "worker.log"
    worker = _worker(env, log)
    try:
        first = harmless_task.enqueue()
        deadline = time.monotonic() + 60
        while DBTaskResult.objects.get(pk=first.id).status != TaskResultStatus.SUCCESSFUL:
            assert time.monotonic() < deadline and worker.poll() is None, log.read_text()
            time.sleep(0.05)
        # When the database drops the worker's connection (a restart, an operator's kill)…
        assert _terminate_others() >= 1
        time.sleep(0.5)  # the worker's next poll meets the dead connection
        second = harmless_task.enqueue()
        # …the worker reconnects and runs the next task instead of exiting.
        deadline = time.monotonic() + 60
        while DBTaskResult.objects.get(pk=second.id).status != TaskResultStatus.SUCCESSFUL:
            assert time.monotonic() < deadline and worker.poll() is None, log.read_text()
            time.sleep(0.05)
        assert worker.poll() is None
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
