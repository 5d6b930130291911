"""Invoicing's periodic work: VIES re-checks, PDFs whose delivery task was lost, and the
invoice of each post-paid client's closed month."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from openbill.core.money import format_money
from openbill.core.scheduler import register

from . import actions, selectors
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


@task()
def issue_period_invoices_task() -> list[str]:
    return actions.issue_period_invoices(now=timezone.now())


@register("period-invoices", every_seconds=3600)
def enqueue_period_invoices(now: datetime) -> object:
    # Hourly: a month's invoice goes out within the hour after the month ends in the provider's
    # time zone; a month already invoiced is not due again, so extra runs issue nothing.
    return issue_period_invoices_task.enqueue()


def preview(at: datetime) -> list[str]:
    """``openbill preview``: the post-paid invoices the period sweep would issue at ``at``."""
    return [
        _("Invoice %(email)s for %(start)s – %(end)s: %(total)s (%(count)s charges)")
        % {
            "email": due.client.email,
            "start": due.start.isoformat(),
            "end": due.end.isoformat(),
            "total": format_money(due.total, due.client.currency),
            "count": len(due.charges),
        }
        for due in selectors.period_invoices_due(at)
    ]
