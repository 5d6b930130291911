"""Provisioning's periodic work: hand back expired leases, run due retries, activate services
waiting as Not available once an instance has room, reissue certificates that end before the
service's paid period does. (Scheduled deletions — ``delete_at`` — are started by the
automation's delete stage, services/automation/expire.py.)"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from openbill.core.scheduler import register

from . import actions
from .tasks import run_provisioning_task


@task()
def retry_sweep() -> dict[str, int]:
    now = timezone.now()
    reaped = actions.reap(now=now)
    due = actions.due_task_ids(now=now)
    for task_id in due:
        run_provisioning_task.enqueue(task_id)
    return {"reaped": reaped, "queued": len(due)}


@task()
def not_available_sweep() -> dict[str, int]:
    return {"activations": actions.retry_not_available(now=timezone.now())}


@task()
def certificate_renewal_sweep() -> dict[str, int]:
    return {"reissues": actions.reissue_due_certificates(now=timezone.now())}


@register("retry", every_seconds=30)
def enqueue_retry(now: datetime) -> object:
    return retry_sweep.enqueue()


@register("not_available", every_seconds=300)
def enqueue_not_available(now: datetime) -> object:
    return not_available_sweep.enqueue()


@register("certificate_renewal", every_seconds=3600)
def enqueue_certificate_renewal(now: datetime) -> object:
    return certificate_renewal_sweep.enqueue()
