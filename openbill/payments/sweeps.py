"""Payments' periodic work: forget Idempotency-Key records once they are older than twice the
24 hours they must be kept (reliability.md, invariant 7)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from openbill.core import idempotency
from openbill.core.scheduler import register


@task()
def purge_idempotency_keys() -> int:
    return idempotency.purge(timezone.now())


@register("idempotency-purge", every_seconds=3600)
def enqueue_purge(now: datetime) -> object:
    return purge_idempotency_keys.enqueue()
