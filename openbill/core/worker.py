"""``openbill worker``: the task worker, the scheduler and the reaper in one process.

It reuses django-tasks-db's claiming (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
adds what that backend lacks: a scheduler tick between tasks (core.scheduler) and the leases'
reaper (a sweep). Several may run at once, on several machines, against one database.

It also covers two gaps of django-tasks-db's own worker: a task row left RUNNING by a worker
that died is handed back by a reaper (``reap_task_rows``), and a database that goes away (a
PostgreSQL restart, a killed connection) is waited for with backoff instead of ending the
process. Every Openbill task is idempotent (it re-checks its rows under locks), so running a
handed-back task again changes nothing that was already done.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.db.models import Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from . import scheduler

log = logging.getLogger("openbill.worker")

# Waits between attempts to reach a database that went away: 0.5 s doubling up to 30 s.
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
# A task handed back this many times (its worker died each time) is marked failed instead.
MAX_TASK_ATTEMPTS = 3
HOST = socket.gethostname()


def task_timeout() -> timedelta:
    """How long a task may stay RUNNING under a worker on another machine before it counts as
    lost (a worker on this machine counts as lost as soon as its process is gone)."""
    return timedelta(seconds=float(getattr(settings, "OPENBILL_TASK_TIMEOUT_SECONDS", 3600)))


class WorkerLost(Exception):
    """The worker running this task died before it could record the outcome."""


def _process_gone(worker_id: str) -> bool:
    host, _sep, pid = worker_id.rpartition(":")
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    return False


def reap_task_rows(now: datetime) -> int:
    """Hand back task rows left RUNNING by a dead worker: its process on this machine is gone,
    or (any machine) the task has run longer than the timeout. Queued again, or marked failed
    with WorkerLost after MAX_TASK_ATTEMPTS workers died on it."""
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    lost = []
    for pk, worker_ids, started_at in running.values_list("pk", "worker_ids", "started_at")[:500]:
        last = str(worker_ids[-1]) if worker_ids else ""
        if _process_gone(last) or (started_at is not None and started_at < now - task_timeout()):
            lost.append((pk, len(worker_ids), last))
    handed = 0
    for pk, attempts, last in lost:
        # Compare-and-swap on the row as read: a worker that finished meanwhile wins.
        still = Q(pk=pk, status=TaskResultStatus.RUNNING)
        if attempts >= MAX_TASK_ATTEMPTS:
            changed = DBTaskResult.objects.filter(still).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"WorkerLost: worker {last} died running this task ({attempts} attempts)",
            )
            log.error("task %s failed: %s workers died running it", pk, attempts)
        else:
            changed = DBTaskResult.objects.filter(still).update(
                status=TaskResultStatus.READY, started_at=None, run_after=now
            )
        handed += changed
    return handed


scheduler.register_reaper("task rows")(reap_task_rows)


class OpenbillWorker(Worker):
    def __init__(
        self,
        *,
        interval: float = 0.5,
        tick_every: float = 1.0,
        schedule: bool = True,
        batch: bool = False,
        max_tasks: int | None = None,
        worker_id: str | None = None,
    ) -> None:
        super().__init__(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
            excluded_queue_names=[],
        )
        self.tick_every = tick_every
        self.schedule = schedule
        self._last_tick = 0.0
        self._orphan: str | None = None  # the task being run, until its outcome is written

    def maybe_tick(self) -> None:
        """Between tasks: reap expired leases (always), enqueue due sweeps (with the scheduler)."""
        if time.monotonic() - self._last_tick < self.tick_every:
            return
        self._last_tick = time.monotonic()
        now = timezone.now()
        try:
            handed = scheduler.reap(now)
            started = scheduler.tick(now) if self.schedule else []
        except OperationalError:
            log.warning("scheduler tick skipped: database busy")
            return
        if handed:
            log.warning("handed back leased work: %s", handed)
        if started:
            log.info("enqueued sweeps: %s", ", ".join(started))

    def claim_next(self) -> tuple[DBTaskResult | None, bool]:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            return task_result, True
        except OperationalError as exc:
            if "locked" in str(exc).lower():
                return None, False
            raise

    def run(self) -> None:
        scheduler.load_sweeps()
        log.info("worker %s started (scheduler %s)", self.worker_id, "on" if self.schedule else "off")
        backoff = 0.0
        while self.running:
            try:
                if not self.step():
                    return
                backoff = 0.0
            except (OperationalError, InterfaceError) as exc:
                # The database went away (restart, failover, a killed connection): drop the
                # broken connections and try again later rather than end the worker.
                backoff = min(max(backoff * 2, BACKOFF_FIRST), BACKOFF_MAX)
                log.warning("database unavailable (%s); retrying in %.1f s", str(exc).strip()[:200], backoff)
                self._drop_connections()
                waited = 0.0
                while self.running and waited < backoff:  # a SIGTERM still stops it at once
                    time.sleep(min(0.1, backoff - waited))
                    waited += 0.1

    def step(self) -> bool:
        """One turn of the loop; False when the worker should stop (batch drained, max tasks)."""
        close_old_connections()
        self._hand_back_orphan()
        self.maybe_tick()
        task_result, retrieved = self.claim_next()
        if task_result is not None:
            self._orphan = str(task_result.pk)
            self.run_task(task_result)  # records the outcome, unless the database is gone
            self._orphan = None
        elif self.batch and retrieved:
            return False
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            return False
        close_old_connections()
        if self.running and task_result is None:
            time.sleep(self.interval)
        return True

    def _hand_back_orphan(self) -> None:
        """A task whose outcome could not be written (the database went away) runs again."""
        if self._orphan is not None:
            DBTaskResult.objects.filter(pk=self._orphan, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None
            )
            self._orphan = None

    @staticmethod
    def _drop_connections() -> None:
        for conn in connections.all(initialized_only=True):
            try:
                conn.close()
            except Exception:  # already broken: nothing to close cleanly
                log.debug("closing a broken connection failed", exc_info=True)
