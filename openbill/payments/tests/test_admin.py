"""Staff money tools in the admin: confirm a bank transfer, refund, correct — each a new ledger
entry that the client sees on the Finances page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client as HttpClient
from django.utils import timezone

from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.payments import actions
from openbill.payments.models import Payment, PaymentStatus


def staff_browser(staff: Any) -> HttpClient:
    browser = HttpClient()
    browser.force_login(staff)
    return browser


def bank_payment(client: Any, amount: str = "40.00") -> Payment:
    payment, _ = actions.start_payment(
        client,
        method="bank",
        amount=amount,
        actor=Actor.system(),
        now=timezone.now(),
        absolute=lambda p: p,
        return_url="/",
    )
    return payment


def test_staff_confirm_a_bank_transfer_from_the_admin(staff: Any, alice: Any) -> None:
    payment = bank_payment(alice)
    response = staff_browser(staff).post(
        "/admin/payments/payment/", {"action": "confirm_bank_transfer", "_selected_action": [payment.pk]}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("140.00")


def test_staff_record_a_correction_and_the_client_sees_it(staff: Any, alice: Any, alice_user: Any) -> None:
    response = staff_browser(staff).post(
        "/admin/payments/correction/add/", {"client": alice.pk, "amount": "-3.50", "reason": "Bank charges"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("96.50")
    client_browser = HttpClient()
    client_browser.force_login(alice_user)
    assert "Correction: Bank charges" in client_browser.get("/finances/").content.decode()


def test_staff_refund_a_bank_payment_by_hand(staff: Any, alice: Any) -> None:
    payment = bank_payment(alice)
    actions.confirm_payment(payment, actor=Actor.system(), now=timezone.now())
    browser = staff_browser(staff)
    too_much = browser.post("/admin/payments/refund/add/", {"payment": payment.pk, "amount": "50.00", "reason": "x"})
    assert too_much.status_code == 200  # the form again, with the error
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 0
    done = browser.post(
        "/admin/payments/refund/add/", {"payment": payment.pk, "amount": "40.00", "reason": "Cancelled"}
    )
    assert done.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert LedgerEntry.objects.get(kind=EntryKind.REFUND).amount == Decimal("-40.00")


def test_the_ledger_and_payments_cannot_be_edited_in_the_admin(staff: Any, alice: Any) -> None:
    payment = bank_payment(alice)
    browser = staff_browser(staff)
    assert browser.post(f"/admin/payments/payment/{payment.pk}/change/", {"amount": "1"}).status_code == 403
    assert browser.post(f"/admin/payments/payment/{payment.pk}/delete/", {"post": "yes"}).status_code == 403
