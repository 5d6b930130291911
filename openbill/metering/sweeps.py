"""The meter sweep: collect usage from modules, rate the current periods, charge, suspend.

Enqueued once per hour by the scheduler (``openbill worker``); running it twice, or on two
workers at once, charges nothing twice (each increment has its business key, and each service
is settled under its row lock).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import task

from openbill.core.scheduler import register

from . import actions

METER_EVERY_SECONDS = 3600


@task()
def meter_sweep() -> dict[str, Any]:
    return actions.meter(now=timezone.now())


@register("meter", every_seconds=METER_EVERY_SECONDS)
def enqueue_meter(now: datetime) -> object:
    return meter_sweep.enqueue()
