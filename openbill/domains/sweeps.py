"""domains' periodic work: transfers the losing registrar has not answered yet are followed
every ten minutes (the registrar's poll queue read and acknowledged, each pending transfer
queried); expired domains move through their zone's grace and redemption every hour
(actions.follow_expiries); idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import task

from openbill.core.scheduler import register

from . import actions

TRANSFERS_EVERY_SECONDS = 600


@task()
def transfers_sweep() -> dict[str, Any]:
    return actions.follow_transfers(now=timezone.now())


@register("domain transfers", every_seconds=TRANSFERS_EVERY_SECONDS)
def enqueue_transfers(now: datetime) -> object:
    return transfers_sweep.enqueue()


EXPIRIES_EVERY_SECONDS = 3600


@task()
def expiries_sweep() -> dict[str, Any]:
    return actions.follow_expiries(now=timezone.now())


@register("domain expiries", every_seconds=EXPIRIES_EVERY_SECONDS)
def enqueue_expiries(now: datetime) -> object:
    return expiries_sweep.enqueue()
