"""How a sweep runs: planned into leased batches, each batch one transaction, stages chained.

The lifecycle runs as a chain of stages at one moment ``at``: renew → expire → delete →
notices. Each stage is a SweepRun whose work is cut into bounded SweepBatch rows. A batch is
claimed by a compare-and-swap that sets a lease, processed and marked done in ONE transaction
(so a SIGKILLed worker leaves nothing half done: its transaction rolls back and its lease runs
out), and handed back by the reaper when the lease expires. The batch that finishes a run
plans the next stage, under a lock on the run row, so exactly one finisher does it.

Every stage re-checks "still due" under row locks, so a batch done twice, two overlapping runs,
or a run racing a client's click change nothing twice (reliability.md, invariant 6).
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import expire, notices, renew  # noqa: F401  (the stages register themselves in base.STAGES)
from .base import STAGES, SWEEP_ACTOR, FuseTripped, Slice, batch_size, slices_of, sweep_tasks
from .models import BatchState, RunState, SweepAlert, SweepBatch, SweepRun

__all__ = ["SWEEP_ACTOR", "FuseTripped", "Slice", "batch_size", "slices_of"]

log = logging.getLogger("openbill.sweeps")

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"

# Set while run_inline drives the chain itself (tests, the preview check): no stage tasks then.
_inline: contextvars.ContextVar[bool] = contextvars.ContextVar("openbill_sweep_inline", default=False)

# The order in which the lifecycle's stages run at one moment.
CHAIN = ("renew", "expire", "delete", "notices")


def lease_length() -> timedelta:
    seconds = getattr(settings, "OPENBILL_SWEEP_LEASE_SECONDS", None) or os.environ.get(
        "OPENBILL_SWEEP_LEASE_SECONDS", "120"
    )
    return timedelta(seconds=float(seconds))


class LeaseLost(Exception):
    """Another worker took the batch over (our lease ran out): roll back, do nothing."""


def open_alert(sweep: str) -> SweepAlert | None:
    return SweepAlert.objects.filter(sweep__in=[sweep, "lifecycle"], resolved_at__isnull=True).first()


# --- planning -----------------------------------------------------------------------------------
@dataclass
class Planned:
    run: SweepRun | None
    batch_ids: list[int] = field(default_factory=list)
    blocked: str = ""


def plan_run(
    sweep: str,
    *,
    at: datetime,
    run_key: str,
    provider_ids: list[int] | None = None,
    enqueue: bool = False,
    chain: bool = True,
) -> Planned:
    """Create the stage's run and its batches (one transaction). Returns the batch ids to run.

    With ``enqueue``, a task per batch (or, for an empty run, the next stage's planning) is
    queued in that same transaction, so no batch is ever left without its task. A second plan
    for the same (sweep, run_key) returns the first run unchanged and queues nothing.
    """
    alert = open_alert(sweep)
    if alert is not None:
        log.error("sweep %s is stopped by the fuse (alert %s: %s); resolve it in admin", sweep, alert.pk, alert.reason)
        return Planned(None, blocked=alert.reason)
    slices = STAGES[sweep].plan(at, provider_ids)
    wall = timezone.now()
    try:
        with transaction.atomic():
            run = SweepRun.objects.create(
                sweep=sweep,
                run_key=run_key,
                at=at,
                expected=sum(s.expected for s in slices),
                provider_ids=provider_ids or [],
                chain=chain,
                created_at=wall,
            )
            batches = SweepBatch.objects.bulk_create(
                [SweepBatch(run=run, lo=s.lo, hi=s.hi, expected=s.expected, enqueued_at=wall) for s in slices]
            )
            if not batches:
                SweepRun.objects.filter(pk=run.pk).update(state=RunState.DONE, finished_at=wall)
                run.state = RunState.DONE
            if enqueue:
                for batch in batches:
                    sweep_tasks().run_batch(batch.pk)
                following = next_stage(sweep) if chain else None
                if not batches and following:
                    sweep_tasks().plan_stage(following, at.isoformat(), run_key, provider_ids)
    except IntegrityError:
        return Planned(SweepRun.objects.get(sweep=sweep, run_key=run_key))
    log.info("%s at %s: %s due in %s batches", sweep, at.isoformat(), run.expected, len(batches))
    return Planned(run, [b.pk for b in batches])


def next_stage(sweep: str) -> str | None:
    if sweep not in CHAIN:
        return None
    index = CHAIN.index(sweep)
    return CHAIN[index + 1] if index + 1 < len(CHAIN) else None


# --- running one batch ----------------------------------------------------------------------------
def claim(batch_id: int, *, worker: str) -> SweepBatch | None:
    """Take the lease on a queued batch, or on a running one whose lease ran out."""
    wall = timezone.now()
    free = Q(state=BatchState.QUEUED) | Q(state=BatchState.RUNNING, lease_until__lt=wall)
    changed = SweepBatch.objects.filter(free, pk=batch_id).update(
        state=BatchState.RUNNING, lease_owner=worker, lease_until=wall + lease_length(), attempts=F("attempts") + 1
    )
    if changed != 1:
        return None
    return SweepBatch.objects.select_related("run").get(pk=batch_id)


def run_batch(batch_id: int, *, worker: str = WORKER_ID) -> dict[str, Any]:
    """Claim and process one batch; the work and "done" commit together, or neither does."""
    batch = claim(batch_id, worker=worker)
    if batch is None:
        return {"skipped": "not claimable"}
    run = batch.run
    if run.state == RunState.TRIPPED:
        SweepBatch.objects.filter(pk=batch.pk, lease_owner=worker).update(
            state=BatchState.SKIPPED, finished_at=timezone.now(), lease_owner="", lease_until=None
        )
        return {"skipped": "fuse"}
    for attempt in range(3):
        try:
            with transaction.atomic():
                result = STAGES[run.sweep].process(run, batch)
                _finish(batch, worker=worker, result=result)
            return result
        except FuseTripped as exc:
            trip(run, batch, reason=exc.reason, details=exc.details)
            return {"tripped": exc.reason}
        except LeaseLost:
            log.warning("batch %s: lease lost to another worker, rolled back", batch.pk)
            return {"skipped": "lease lost"}
        except OperationalError as exc:  # a deadlock with a writer outside the sweeps: retry
            if attempt == 2 or "deadlock" not in str(exc).lower():
                raise
            log.warning("batch %s: %s; retrying", batch.pk, exc)
    raise AssertionError("unreachable")


def _finish(batch: SweepBatch, *, worker: str, result: dict[str, Any]) -> None:
    """Mark the batch done (still ours?) and, if it was the run's last, plan the next stage."""
    wall = timezone.now()
    changed = SweepBatch.objects.filter(pk=batch.pk, state=BatchState.RUNNING, lease_owner=worker).update(
        state=BatchState.DONE, result=result, finished_at=wall, lease_owner="", lease_until=None
    )
    if changed != 1:
        raise LeaseLost
    # The run row's lock serializes finishers, so exactly one of them sees "nothing left".
    run = SweepRun.objects.select_for_update().get(pk=batch.run_id)
    if run.state != RunState.RUNNING:
        return
    left = SweepBatch.objects.filter(run=run).exclude(state__in=[BatchState.DONE, BatchState.SKIPPED]).exists()
    if left:
        return
    SweepRun.objects.filter(pk=run.pk).update(state=RunState.DONE, finished_at=wall)
    following = next_stage(run.sweep) if run.chain else None
    if following and not _inline.get():
        sweep_tasks().plan_stage(following, run.at.isoformat(), run.run_key, run.provider_ids or None)


def trip(run: SweepRun, batch: SweepBatch | None, *, reason: str, details: dict[str, Any]) -> SweepAlert:
    """Stop the run (and the chain after it) and tell staff: a log line and an alert row."""
    wall = timezone.now()
    with transaction.atomic():
        SweepRun.objects.filter(pk=run.pk).update(state=RunState.TRIPPED, finished_at=wall)
        if batch is not None:
            SweepBatch.objects.filter(pk=batch.pk).update(
                state=BatchState.SKIPPED, finished_at=wall, lease_owner="", lease_until=None, result={"tripped": reason}
            )
        alert = SweepAlert.objects.create(sweep=run.sweep, run=run, reason=reason, details=details, created_at=wall)
    log.error("FUSE: sweep %s run %s stopped: %s %s", run.sweep, run.run_key, reason, details)
    return alert


# --- the reaper -----------------------------------------------------------------------------------
def reap(*, now: datetime | None = None) -> int:
    """Hand back batches whose worker died: running with an expired lease, or queued so long
    that their task must have been lost with a killed worker. Each gets a fresh task."""
    wall = now or timezone.now()
    stale = Q(state=BatchState.RUNNING, lease_until__lt=wall) | Q(
        state=BatchState.QUEUED, enqueued_at__lt=wall - lease_length()
    )
    handed = 0
    for pk in SweepBatch.objects.filter(stale).values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            changed = SweepBatch.objects.filter(stale, pk=pk).update(
                state=BatchState.QUEUED, lease_owner="", lease_until=None, enqueued_at=wall
            )
            if changed == 1:
                sweep_tasks().run_batch(pk)
                handed += 1
    if handed:
        log.warning("reaper: handed back %s sweep batches", handed)
    return handed


# --- running a whole chain in this process (tests, preview checks, the bench's planner) -----------
def run_inline(
    sweep: str, *, at: datetime, run_key: str, provider_ids: list[int] | None = None, chain: bool = True
) -> dict[str, dict[str, Any]]:
    """Plan and process a stage (and, with ``chain``, the stages after it) in this process."""
    token = _inline.set(True)
    try:
        return _run_chain(sweep, at=at, run_key=run_key, provider_ids=provider_ids, chain=chain)
    finally:
        _inline.reset(token)


def _run_chain(
    sweep: str, *, at: datetime, run_key: str, provider_ids: list[int] | None, chain: bool
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    current: str | None = sweep
    while current:
        planned = plan_run(current, at=at, run_key=run_key, provider_ids=provider_ids)
        totals: dict[str, Any] = {}
        if planned.blocked:
            results[current] = {"blocked": planned.blocked}
            return results
        for batch_id in planned.batch_ids:
            for key, value in run_batch(batch_id).items():
                if isinstance(value, int):
                    totals[key] = totals.get(key, 0) + value
                elif isinstance(value, list):
                    totals.setdefault(key, []).extend(value)
                else:
                    totals[key] = value
        results[current] = totals
        if planned.run is None or "tripped" in totals:
            return results
        current = next_stage(current) if chain else None
    return results
