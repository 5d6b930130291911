"""The VDC's periodic work. Every minute: machine operations that are due again (a retry after
a transient libvirt error, or a lease whose worker died). Claiming is a compare-and-swap per
machine, so two runs never run one operation twice at once. Hourly: the machines' usage, counted
towards their data center's statistics (usage.py)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from openbill.core.scheduler import register

from . import runner, tasks, usage

MACHINES_EVERY_SECONDS = 60


@register("vdc_machines", every_seconds=MACHINES_EVERY_SECONDS)
def enqueue_due_machines(now: datetime) -> object:
    ids = runner.due_machine_ids(now=now)
    for pk in ids:
        tasks.run_machine_operation.enqueue(pk)
    return ids


USAGE_EVERY_SECONDS = 3600


@task()
def vdc_usage_sweep() -> dict[str, int]:
    return usage.collect(now=timezone.now())


@register("vdc_usage", every_seconds=USAGE_EVERY_SECONDS)
def enqueue_vdc_usage(now: datetime) -> object:
    return vdc_usage_sweep.enqueue()
