"""Different writers of one payment at once (PostgreSQL): a failure and a success, two successes
under different event ids, many mixed notifications, two refunds. The payment's row lock makes
them one after the other; the unique event key cannot, since the events differ.

The first writer is stopped inside its transaction (after recording its event, or its refund)
and the second one sent in: with the lock it waits; without it, it would run through the first
one's read-then-write window (openbill.core.tests.interleave).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, LedgerEntry
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.tests import factories as f
from openbill.core.tests.interleave import interleave
from openbill.payments import actions
from openbill.payments.gateways import card
from openbill.payments.gateways.base import GatewayError
from openbill.payments.models import Payment, PaymentEvent, PaymentStatus, Refund

STAFF = Actor("staff", None, "staff@test.test")


def _start(alice: Client, method: str = "card", amount: str = "30.00") -> Payment:
    payment, _result = actions.start_payment(
        alice,
        method=method,
        amount=amount,
        actor=Actor.system(),
        now=timezone.now(),
        absolute=lambda path: f"http://testserver{path}",
        return_url="/",
    )
    return payment


def _deliver(payment: Payment, *, succeeded: bool, event_id: str) -> Any:
    """The card provider's signed notification, verified and applied as the view does."""

    def deliver() -> str:
        body = card.notification_body(
            {"reference": str(payment.reference), "amount": "30.00", "currency": "USD"},
            succeeded=succeeded,
            event_id=event_id,
        )
        notification = card.CardGateway().parse_notification(
            body, {card.SIGNATURE_HEADER: card.sign(body, int(time.time()))}
        )
        return actions.handle_notification("card", notification, now=timezone.now())

    return deliver


def _credited_once(alice: Client, payment: Payment) -> None:
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.entry is not None and payment.entry.amount == Decimal("30.00")
    assert list(LedgerEntry.objects.filter(client=alice, kind=EntryKind.PAYMENT).values_list("key", flat=True)) == [
        f"payment:{payment.pk}",
        "test-topup:alice@test.test",
    ]
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("130.00")
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_success_arriving_while_a_failure_is_applied_leaves_the_payment_received() -> None:
    alice = f.client(f.provider(), "alice@test.test", balance="100.00")
    payment = _start(alice)

    failure, success = interleave(
        _deliver(payment, succeeded=False, event_id="evt_failed"),
        _deliver(payment, succeeded=True, event_id="evt_succeeded"),
        pause=(PaymentEvent, "save"),
    )

    assert (failure, success) == ("failed", "credited")
    assert PaymentEvent.objects.filter(payment=payment).count() == 2
    _credited_once(alice, payment)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failure_arriving_while_a_success_is_applied_leaves_the_payment_received() -> None:
    alice = f.client(f.provider(), "alice@test.test", balance="100.00")
    payment = _start(alice)

    success, failure = interleave(
        _deliver(payment, succeeded=True, event_id="evt_succeeded"),
        _deliver(payment, succeeded=False, event_id="evt_failed"),
        pause=(PaymentEvent, "save"),
    )

    assert (success, failure) == ("credited", "failed")
    _credited_once(alice, payment)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_successes_under_different_event_ids_credit_once_and_say_so() -> None:
    alice = f.client(f.provider(), "alice@test.test", balance="100.00")
    payment = _start(alice)

    first, second = interleave(
        _deliver(payment, succeeded=True, event_id="evt_1"),
        _deliver(payment, succeeded=True, event_id="evt_1_retried_as_2"),
        pause=(PaymentEvent, "save"),
    )

    assert (first, second) == ("credited", "already credited")
    _credited_once(alice, payment)


THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_different_notifications_for_one_payment_at_once_credit_it_once() -> None:
    alice = f.client(f.provider(), "alice@test.test", balance="100.00")
    payment = _start(alice)
    deliveries = [_deliver(payment, succeeded=i % 2 == 0, event_id=f"evt_{i}") for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def run(deliver: Any) -> None:
        try:
            barrier.wait()
            outcome = deliver()
        except Exception as exc:  # collected and asserted below
            outcome = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(d,)) for d in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert Counter(outcomes) == Counter({"failed": THREADS // 2, "credited": 1, "already credited": THREADS // 2 - 1})
    assert PaymentEvent.objects.filter(payment=payment).count() == THREADS
    _credited_once(alice, payment)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refunds_of_one_payment_at_once_never_give_back_more_than_was_paid() -> None:
    alice = f.client(f.provider(), "alice@test.test", balance="100.00")
    payment = _start(alice, method="bank")
    assert actions.confirm_payment(payment, actor=STAFF, now=timezone.now()) == "credited"

    def refund(reason: str) -> Any:
        return lambda: actions.refund_payment(
            Payment.objects.get(pk=payment.pk), amount="20.00", reason=reason, actor=STAFF, now=timezone.now()
        )

    first, second = interleave(refund("first"), refund("second"), pause=(Refund, "save"))

    assert isinstance(first, Refund)
    assert isinstance(second, DomainError) and second.field == "amount"
    assert second.message == "At most 10.00 USD can be refunded."
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("20.00")
    assert list(Refund.objects.filter(payment=payment).values_list("amount", "reason")) == [(Decimal("20.00"), "first")]
    assert LedgerEntry.objects.filter(client=alice, kind=EntryKind.REFUND).count() == 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("110.00")
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_recording_a_refused_refund_restore_the_money_and_the_refundable_amount_once(
    monkeypatch: Any,
) -> None:
    alice = f.client(f.provider(), "alice@test.test", balance="100.00")
    payment = _start(alice)
    assert _deliver(payment, succeeded=True, event_id="evt_paid")() == "credited"
    pending = actions.refund_payment(payment, amount="20.00", reason="x", actor=STAFF, now=timezone.now())

    def refuse(self: Any, paid: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        raise GatewayError("card expired")

    monkeypatch.setattr(card.CardGateway, "refund", refuse)

    # The task and the reaper's retry both ask the provider and both hear "no".
    first, second = interleave(
        lambda: actions.send_refund(pending.pk, now=timezone.now()),
        lambda: actions.send_refund(pending.pk, now=timezone.now()),
        pause=(actions, "post_entry"),
    )

    assert (first, second) == ("failed", "failed")
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("0.00")
    assert payment.refundable_amount == Decimal("30.00")
    assert payment.status == PaymentStatus.COMPLETED
    assert LedgerEntry.objects.filter(key=f"refund-reversal:{pending.pk}").count() == 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("130.00")
    assert run_audit() == []
