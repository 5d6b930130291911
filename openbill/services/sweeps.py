"""The service lifecycle's periodic work: renew → expire → delete → notices, every 10 minutes.

The scheduler (core.scheduler, inside ``openbill worker``) enqueues ``lifecycle_sweep`` once per
slot; it plans the renew stage into leased batches (services.automation.engine); the batch that
finishes a stage plans the next one. The reaper hands back batches whose worker died.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import task

from openbill.core.notify import send_notice
from openbill.core.scheduler import register, register_reaper

from .automation import engine

LIFECYCLE_EVERY = 600


@task(priority=10)
def plan_stage(sweep: str, at_iso: str, run_key: str, provider_ids: list[int] | None = None) -> dict[str, Any]:
    """Plan one stage at the moment ``at_iso`` and queue a task per batch."""
    planned = engine.plan_run(
        sweep, at=datetime.fromisoformat(at_iso), run_key=run_key, provider_ids=provider_ids, enqueue=True
    )
    return {"sweep": sweep, "batches": len(planned.batch_ids), "blocked": planned.blocked}


@task(priority=10)
def run_sweep_batch(batch_id: int) -> dict[str, Any]:
    return engine.run_batch(batch_id)


@task(priority=-20)  # after the sweeps' own batches: money and status first, mail after
def send_notices(notice_ids: list[int]) -> int:
    """Send notices written in bulk by the renew sweep (one task per batch, not per notice)."""
    sent = 0
    for notice_id in notice_ids:
        sent += send_notice.call(notice_id) == "sent"
    return sent


class _Tasks:
    """automation.base.SweepTasks: the tasks above, queued."""

    @staticmethod
    def run_batch(batch_id: int) -> object:
        return run_sweep_batch.enqueue(batch_id)

    @staticmethod
    def plan_stage(sweep: str, at_iso: str, run_key: str, provider_ids: list[int] | None) -> object:
        return plan_stage.enqueue(sweep, at_iso, run_key, provider_ids)

    @staticmethod
    def send_notices(notice_ids: list[int]) -> object:
        return send_notices.enqueue(notice_ids)


TASKS = _Tasks()


@register("lifecycle", every_seconds=LIFECYCLE_EVERY)
def enqueue_lifecycle(now: datetime) -> object:
    slot = int(now.timestamp()) // LIFECYCLE_EVERY
    return plan_stage.enqueue(engine.CHAIN[0], now.isoformat(), f"slot:{slot}", None)


@register_reaper("sweep batches")
def reap_batches(now: datetime) -> int:
    return engine.reap(now=now)


def run_now(at: datetime | None = None, **kwargs: Any) -> dict[str, dict[str, Any]]:
    """Run the whole chain in this process (tests, ``openbill preview --check``)."""
    at = at or timezone.now()
    return engine.run_inline(engine.CHAIN[0], at=at, run_key=f"inline:{at.isoformat()}", **kwargs)
