"""Payments' background work: asking a gateway for a refund, outside the request's transaction."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task


@task()
def send_refund_task(refund_id: int) -> str:
    from .actions import send_refund

    return send_refund(refund_id, now=timezone.now())
