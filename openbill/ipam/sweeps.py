"""ipam's periodic work, every minute: addresses of deleted services, and additional addresses
no longer paid for (a cancelled order), go to quarantine; reverse
names whose update is due (new, or a retry after a failure) are written, and addresses whose
quarantine is over are forgotten. Each step is idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import task

from openbill.core.scheduler import register

from . import actions

IPAM_EVERY_SECONDS = 60


def run(now: datetime) -> dict[str, Any]:
    released = actions.release_deleted(now=now) + actions.release_surplus(now=now)
    published = {pk: actions.publish(pk, now=now) for pk in actions.due_ptr_updates(now=now)}
    purged = actions.purge_quarantine(now=now)
    return {"released": released, "ptr": published, "purged": purged}


@task()
def ipam_sweep() -> dict[str, Any]:
    return run(timezone.now())


@register("ipam", every_seconds=IPAM_EVERY_SECONDS)
def enqueue_ipam(now: datetime) -> object:
    return ipam_sweep.enqueue()
