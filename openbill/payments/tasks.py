"""Payments' background work: asking a gateway for a refund outside the request's transaction,
the automatic card payments, the reconciliation and the checkout expiry. Tasks call actions,
never the reverse: actions reach ``send_refund_task`` through ``actions.refund_queue``."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from . import actions, cards


@task()
def send_refund_task(refund_id: int) -> str:
    return actions.send_refund(refund_id, now=timezone.now())


@task()
def autopay_task() -> dict[str, int]:
    """Charge saved cards for the renewals the balance cannot cover (before the renew sweep)."""
    return cards.run_autopay(timezone.now())


@task()
def reconcile_charges_task() -> int:
    return cards.reconcile_charges(timezone.now())


@task()
def expire_checkouts_task() -> int:
    return actions.expire_checkouts(timezone.now())


def queue_refund(refund_id: int) -> object:
    return send_refund_task.enqueue(refund_id)
