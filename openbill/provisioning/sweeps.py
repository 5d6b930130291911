"""Provisioning's periodic work: hand back expired leases and run due retries."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from openbill.core.scheduler import register

from . import actions


@task()
def retry_sweep() -> dict[str, int]:
    now = timezone.now()
    reaped = actions.reap(now=now)
    from .tasks import run_provisioning_task

    due = actions.due_task_ids(now=now)
    for task_id in due:
        run_provisioning_task.enqueue(task_id)
    return {"reaped": reaped, "queued": len(due)}


@register("retry", every_seconds=30)
def enqueue_retry(now: datetime) -> object:
    return retry_sweep.enqueue()
