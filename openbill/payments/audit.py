"""``openbill audit``, payments part: every completed refund of an invoiced payment has its
credit note (invoicing checks the note's amount against the refund's ledger entry)."""

from __future__ import annotations

from openbill.invoicing.models import DocumentKind

from .models import Refund, RefundStatus


def run_audit() -> list[str]:
    missing = (
        Refund.objects.filter(status=RefundStatus.COMPLETED, payment__documents__kind=DocumentKind.INVOICE)
        .filter(credit_note__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    return [f"refund {pk}: no credit note" for pk in missing]
