"""Payments' periodic work: forget Idempotency-Key records once they are older than twice the
24 hours they must be kept (reliability.md, invariant 7); ask again for gateway refunds whose
task was lost (the provider dedups them by their idempotency key); fail card checkouts left
unfinished for OPENBILL_CARD_CHECKOUT_MINUTES."""

from __future__ import annotations

from datetime import datetime, timedelta

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


@register("refund-retry", every_seconds=300)
def enqueue_pending_refunds(now: datetime) -> object:
    from .actions import pending_refunds
    from .tasks import send_refund_task

    return [send_refund_task.enqueue(pk) for pk in pending_refunds(now - timedelta(minutes=5))]


@task()
def expire_checkouts_task() -> int:
    from .actions import expire_checkouts

    return expire_checkouts(timezone.now())


@register("card-checkout-expiry", every_seconds=300)
def enqueue_checkout_expiry(now: datetime) -> object:
    return expire_checkouts_task.enqueue()
