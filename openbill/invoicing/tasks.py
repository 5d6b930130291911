"""Invoicing's background work: the PDF and its mail, and the VIES checks.

Each task runs a worker part (``delivery``, ``vatcheck``) that never imports this module back;
``actions`` imports the tasks it queues."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from .delivery import deliver_document
from .models import BillingProfile, VatStatus
from .vatcheck import check_vat_number

RECHECK_DAYS = 30


@task()
def deliver_document_task(document_id: int) -> str:
    return deliver_document(document_id, now=timezone.now())


@task()
def check_vat_number_task(profile_id: int) -> str:
    return check_vat_number(profile_id, now=timezone.now())


def due_vat_checks(*, now: datetime, limit: int = 100) -> list[int]:
    """Numbers never confirmed (VIES was down) and numbers last checked a month ago or more."""
    stale = now - timedelta(days=RECHECK_DAYS)
    return list(
        BillingProfile.objects.filter(
            Q(vat_status=VatStatus.UNVERIFIED)
            | Q(vat_status__in=[VatStatus.VALID, VatStatus.INVALID], vat_checked_at__lt=stale)
        )
        .order_by("vat_checked_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@task()
def recheck_vat_numbers_task() -> int:
    """The periodic re-check: one VIES task per due number."""
    ids = due_vat_checks(now=timezone.now())
    for profile_id in ids:
        check_vat_number_task.enqueue(profile_id)
    return len(ids)
