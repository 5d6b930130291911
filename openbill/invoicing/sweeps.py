"""Invoicing's periodic work: VIES re-checks, and PDFs whose delivery task was lost."""

from __future__ import annotations

from datetime import datetime, timedelta

from openbill.core.scheduler import register

from .models import Document
from .tasks import deliver_document_task, recheck_vat_numbers_task


@register("vat-recheck", every_seconds=6 * 3600)
def enqueue_vat_rechecks(now: datetime) -> object:
    return recheck_vat_numbers_task.enqueue()


@register("document-delivery", every_seconds=600)
def enqueue_lost_deliveries(now: datetime) -> object:
    lost = Document.objects.filter(pdf__isnull=True, issued_at__lt=now - timedelta(minutes=10)).values_list(
        "pk", flat=True
    )[:200]
    return [deliver_document_task.enqueue(pk) for pk in lost]
