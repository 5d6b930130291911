"""Payments' background work: asking a gateway for a refund, outside the request's transaction."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task


@task()
def send_refund_task(refund_id: int) -> str:
    from .actions import send_refund

    return send_refund(refund_id, now=timezone.now())


@task()
def autopay_task() -> dict[str, int]:
    """Charge saved cards for the renewals the balance cannot cover (before the renew sweep)."""
    from .cards import run_autopay

    return run_autopay(timezone.now())


@task()
def reconcile_charges_task() -> int:
    from .cards import reconcile_charges

    return reconcile_charges(timezone.now())
