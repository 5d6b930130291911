"""Core's periodic work: delete finished task rows once they are old.

A task row keeps its arguments, its return value and any traceback for as long as it exists, and
staff can read it in the admin; nothing secret is ever put there, and nothing is kept forever.
Queued and running rows are never touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .scheduler import register


def purge_task_results(now: datetime) -> int:
    """Delete task rows finished more than ``OPENBILL_TASK_RESULT_DAYS`` ago; returns how many."""
    cutoff = now - timedelta(days=settings.OPENBILL_TASK_RESULT_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


@task()
def purge_task_results_task() -> int:
    return purge_task_results(timezone.now())


@register("task-result-purge", every_seconds=3600)
def enqueue_task_result_purge(now: datetime) -> object:
    return purge_task_results_task.enqueue()
