"""``openbill worker``: the task worker, the scheduler and the reaper in one process.

It reuses django-tasks-db's claiming (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
adds what that backend lacks: a scheduler tick between tasks (core.scheduler) and the leases'
reaper (a sweep). Several may run at once, on several machines, against one database.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from django.db import OperationalError, close_old_connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from . import scheduler

log = logging.getLogger("openbill.worker")


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
        while self.running:
            close_old_connections()
            self.maybe_tick()
            task_result, retrieved = self.claim_next()
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch and retrieved:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)
