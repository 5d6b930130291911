"""What the lifecycle's stages share with the engine that runs them: the stage registry, the
batch slices, the fuse, the sweep's actor, and the port to the stage tasks.

The engine imports the stages (they register here) and the stages import this module, never
the engine; the tasks that run batches are defined in services.sweeps, which plugs them in
when Django starts (ServicesConfig.ready), so the engine never imports the module that
imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings

from openbill.core.actors import Actor
from openbill.core.ports import Port

from .models import SweepBatch, SweepRun

SWEEP_ACTOR = Actor.system("renew sweep")


def batch_size(default: int) -> int:
    return int(os.environ.get("OPENBILL_SWEEP_BATCH", getattr(settings, "OPENBILL_SWEEP_BATCH", default)))


class FuseTripped(Exception):
    """A stage found something it must not do (charge twice in a day, far more than due)."""

    def __init__(self, reason: str, details: dict[str, Any]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Slice:
    lo: int
    hi: int
    expected: int


@dataclass
class Stage:
    name: str
    plan: Callable[[datetime, list[int] | None], list[Slice]]
    process: Callable[[SweepRun, SweepBatch], dict[str, Any]]


STAGES: dict[str, Stage] = {}


def stage(name: str) -> Callable[[type], type]:
    """Register a stage class with static ``plan(at, provider_ids)`` and ``process(run, batch)``."""

    def wrap(cls: type) -> type:
        STAGES[name] = Stage(name, cls.plan, cls.process)  # type: ignore[attr-defined]
        return cls

    return wrap


def slices_of(counts: Sequence[tuple[int, int]], size: int) -> list[Slice]:
    """Cut ``(key, n)`` rows (sorted by key) into slices of about ``size`` rows, never
    splitting one key: for the renew sweep a key is a client, so a batch holds whole clients
    and each client's balance is locked by one batch only."""
    out: list[Slice] = []
    lo: int | None = None
    total = 0
    last = 0
    for key, n in counts:
        if lo is None:
            lo = key
        total += n
        last = key
        if total >= size:
            out.append(Slice(lo, key, total))
            lo, total = None, 0
    if lo is not None:
        out.append(Slice(lo, last, total))
    return out


class SweepTasks(Protocol):
    """Queue the tasks of the lifecycle: a batch to run, a stage to plan, notices to send."""

    def run_batch(self, batch_id: int) -> object: ...

    def plan_stage(self, sweep: str, at_iso: str, run_key: str, provider_ids: list[int] | None) -> object: ...

    def send_notices(self, notice_ids: list[int]) -> object: ...


# Plugged in by ServicesConfig.ready.
sweep_tasks: Port[SweepTasks] = Port("the lifecycle's tasks (openbill.services.sweeps)")
