"""The scheduler inside ``openbill worker``: enqueue each periodic sweep once per time slot.

Every worker process runs it; the unique (sweep, slot) row lets exactly one of them enqueue a
given slot, so more workers never mean more sweeps (DESIGN.md §1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db import IntegrityError, transaction

from openbill.core.extensions import optional_module

from .models import SweepSlot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    name: str
    every_seconds: int
    enqueue: Callable[[datetime], object]


SWEEPS: dict[str, Sweep] = {}

# Reapers run on every tick of every worker: they hand back leased work whose worker died
# (django-tasks-db never reclaims a task left RUNNING by a SIGKILLed worker).
REAPERS: dict[str, Callable[[datetime], int]] = {}


def register(name: str, every_seconds: int) -> Callable[[Callable[[datetime], object]], Callable[[datetime], object]]:
    def wrap(fn: Callable[[datetime], object]) -> Callable[[datetime], object]:
        SWEEPS[name] = Sweep(name, every_seconds, fn)
        return fn

    return wrap


def register_reaper(name: str) -> Callable[[Callable[[datetime], int]], Callable[[datetime], int]]:
    def wrap(fn: Callable[[datetime], int]) -> Callable[[datetime], int]:
        REAPERS[name] = fn
        return fn

    return wrap


def reap(now: datetime) -> dict[str, int]:
    """Run every reaper; a failing one is logged and does not stop the others."""
    handed: dict[str, int] = {}
    for name, fn in REAPERS.items():
        try:
            count = fn(now)
        except Exception:
            log.exception("reaper %s failed", name)
            continue
        if count:
            handed[name] = count
    return handed


def load_sweeps() -> None:
    """Import the apps' ``sweeps`` modules so that they register."""
    for config in apps.get_app_configs():
        if config.name.startswith("openbill."):
            optional_module(f"{config.name}.sweeps")


def tick(now: datetime) -> list[str]:
    """Enqueue every sweep whose current slot nobody has enqueued yet; returns their names."""
    started = []
    for sweep in SWEEPS.values():
        slot = int(now.timestamp()) // sweep.every_seconds
        try:
            with transaction.atomic():
                SweepSlot.objects.create(sweep=sweep.name, slot=slot, enqueued_at=now)
                sweep.enqueue(now)  # the task row commits with the slot row, or neither does
        except IntegrityError:
            continue
        started.append(sweep.name)
    return started
