"""``openbill audit``, payments part: a completed refund of an invoiced payment without its
credit note is reported (one written behind Openbill's back)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from openbill.invoicing.tests.helpers import STAFF, paid_by_bank, profile, spanish_seller
from openbill.payments import actions
from openbill.payments.audit import run_audit
from openbill.payments.models import Refund, RefundStatus


def test_a_refund_without_its_credit_note_is_reported(provider: Any, alice: Any) -> None:
    spanish_seller(provider)
    profile(alice)
    payment = paid_by_bank(alice, "30.00")
    actions.refund_payment(payment, amount="10.00", reason="goodwill", actor=STAFF, now=timezone.now())
    assert run_audit() == []
    sneaked = Refund.objects.create(
        payment=payment, amount=Decimal("5.00"), reason="by hand", status=RefundStatus.COMPLETED,
        created_at=timezone.now(),
    )  # fmt: skip
    assert run_audit() == [f"refund {sneaked.pk}: no credit note"]


def test_a_refund_of_a_payment_with_no_invoice_needs_none(alice: Any) -> None:
    payment = paid_by_bank(alice, "30.00")  # the provider issues no invoices
    actions.refund_payment(payment, amount="10.00", reason="goodwill", actor=STAFF, now=timezone.now())
    assert run_audit() == []
