"""Staff money tools in the admin: confirm a bank transfer, refund, correct — each a new ledger
entry that the client sees on the Finances page."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.worker import OpenbillWorker
from openbill.payments import actions
from openbill.payments.gateways import card
from openbill.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from openbill.payments.sweeps import enqueue_pending_refunds
from openbill.payments.tasks import send_refund_task


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


def paid_by_card(client: Any, amount: str = "25.00") -> Payment:
    payment, _result = actions.start_payment(
        client,
        method="card",
        amount=amount,
        actor=Actor.system(),
        now=timezone.now(),
        return_url="/",
    )
    body = card.notification_body(
        {"reference": str(payment.reference), "amount": amount, "currency": payment.currency}, succeeded=True
    )
    notification = card.CardGateway().parse_notification(
        body, {card.SIGNATURE_HEADER: card.sign(body, int(time.time()))}
    )
    assert actions.handle_notification("card", notification, now=timezone.now()) == "credited"
    payment.refresh_from_db()
    return payment


def run_worker() -> None:
    OpenbillWorker(batch=True, schedule=False, interval=0).run()


@pytest.mark.django_db(transaction=True)
def test_a_card_refund_from_the_admin_reaches_the_provider_once_after_the_commit(
    staff: Any, alice: Any, monkeypatch: Any, settings: Any
) -> None:
    """The admin wraps its form in a transaction: saving records the refund and debits the
    balance; the provider is asked later, by the worker, with no transaction open — once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    payment = paid_by_card(alice)  # alice: 125.00
    calls: list[tuple[str, Decimal, bool, str, Decimal]] = []
    original = card.CardGateway.refund

    def provider_refund(self: Any, paid: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        alice.refresh_from_db()  # what the provider's call sees is committed
        calls.append(
            (idempotency_key, amount, connection.in_atomic_block, Refund.objects.get().status, alice.balance_amount)
        )
        return original(self, paid, amount, idempotency_key=idempotency_key)

    monkeypatch.setattr(card.CardGateway, "refund", provider_refund)
    response = staff_browser(staff).post(
        "/admin/payments/refund/add/", {"payment": payment.pk, "amount": "10.00", "reason": "Asked by the client"}
    )
    assert response.status_code == 302
    assert calls == []  # never from inside the admin's request
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.PENDING
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("115.00")

    run_worker()
    assert calls == [(f"refund:{refund.pk}", Decimal("10.00"), False, RefundStatus.PENDING, Decimal("115.00"))]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED and refund.provider_refund_id.startswith("re_")

    # A second delivery of the task and the lost-task sweep ask nobody again.
    send_refund_task.enqueue(refund.pk)
    enqueue_pending_refunds(timezone.now() + timedelta(hours=1))
    run_worker()
    assert len(calls) == 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("115.00")
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert run_audit() == []


@pytest.mark.django_db(transaction=True)
def test_a_refund_whose_task_was_lost_is_sent_by_the_sweep(alice: Any, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    payment = paid_by_card(alice)
    refund = actions.refund_payment(payment, amount="5.00", reason="x", actor=Actor.system(), now=timezone.now())
    DBTaskResult.objects.filter(task_path=send_refund_task.module_path).delete()  # the worker lost it
    run_worker()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING
    enqueue_pending_refunds(timezone.now())  # too recent: its task may still be on its way
    run_worker()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING
    enqueue_pending_refunds(timezone.now() + timedelta(minutes=10))
    run_worker()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
