"""``openbill worker``: the task worker with the scheduler and the lease reaper."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from openbill.core.worker import OpenbillWorker


class Command(BaseCommand):
    help = "Run the task worker with the scheduler and the lease reaper (several may run at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds to wait when the queue is empty.")
        parser.add_argument("--batch", action="store_true", help="Drain the queue, then exit.")
        parser.add_argument("--no-scheduler", action="store_true", help="Run tasks only; enqueue no sweeps.")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        worker = OpenbillWorker(
            interval=options["interval"],
            batch=options["batch"],
            schedule=not options["no_scheduler"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        worker.configure_signals()
        worker.run()
