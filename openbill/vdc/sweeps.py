"""The VDC's periodic work, every minute: machine operations that are due again (a retry after
a transient libvirt error, or a lease whose worker died). Claiming is a compare-and-swap per
machine, so two runs never run one operation twice at once."""

from __future__ import annotations

from datetime import datetime

from openbill.core.scheduler import register

from . import actions, tasks

MACHINES_EVERY_SECONDS = 60


@register("vdc_machines", every_seconds=MACHINES_EVERY_SECONDS)
def enqueue_due_machines(now: datetime) -> object:
    ids = actions.due_machine_ids(now=now)
    for pk in ids:
        tasks.run_machine_operation.enqueue(pk)
    return ids
