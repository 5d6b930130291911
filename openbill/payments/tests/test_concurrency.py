"""The same notification delivered by many threads at once credits once (PostgreSQL)."""

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
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.payments import actions
from openbill.payments.gateways import card
from openbill.payments.models import PaymentEvent

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_notification_delivered_concurrently_credits_once() -> None:
    provider = f.provider()
    alice = f.client(provider, "alice@test.test", balance="100.00")
    payment, _result = actions.start_payment(
        alice,
        method="card",
        amount="30.00",
        actor=Actor.system(),
        now=timezone.now(),
        return_url="/",
    )
    body = card.notification_body(
        {"reference": str(payment.reference), "amount": "30.00", "currency": "USD"}, succeeded=True, event_id="evt_same"
    )
    headers = {card.SIGNATURE_HEADER: card.sign(body, int(time.time()))}
    barrier = threading.Barrier(THREADS)
    outcomes: list[Any] = []

    def deliver() -> None:
        try:
            notification = card.CardGateway().parse_notification(body, headers)
            barrier.wait()
            outcomes.append(actions.handle_notification("card", notification, now=timezone.now()))
        except Exception as exc:  # collected and asserted below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["credited"] + ["duplicate"] * (THREADS - 1)
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("130.00")
    assert PaymentEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT, client=alice).count() == 2
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_provider_is_asked_for_an_admin_refund_with_no_row_locked(settings: Any, monkeypatch: Any) -> None:
    """While the card provider handles the refund, another connection can lock the client's and
    the payment's rows at once (NOWAIT): nothing Openbill holds waits on the provider."""
    from django.db import transaction
    from django.test import Client as HttpClient

    from openbill.clients.models import Client
    from openbill.core.worker import OpenbillWorker
    from openbill.payments.models import Payment, Refund, RefundStatus

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    provider = f.provider()
    alice = f.client(provider, "alice@test.test", balance="100.00")
    payment, _result = actions.start_payment(
        alice,
        method="card",
        amount="30.00",
        actor=Actor.system(),
        now=timezone.now(),
        return_url="/",
    )
    body = card.notification_body(
        {"reference": str(payment.reference), "amount": "30.00", "currency": "USD"}, succeeded=True
    )
    notification = card.CardGateway().parse_notification(
        body, {card.SIGNATURE_HEADER: card.sign(body, int(time.time()))}
    )
    assert actions.handle_notification("card", notification, now=timezone.now()) == "credited"
    seen: list[str] = []
    original = card.CardGateway.refund

    def try_locks() -> None:
        try:
            with transaction.atomic():
                Client.objects.select_for_update(nowait=True).get(pk=alice.pk)
                Payment.objects.select_for_update(nowait=True).get(pk=payment.pk)
            seen.append("free")
        except Exception as exc:  # collected and asserted below
            seen.append(f"locked: {exc}")
        finally:
            connection.close()

    def provider_refund(self: Any, paid: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        other = threading.Thread(target=try_locks)
        other.start()
        other.join(30)
        return original(self, paid, amount, idempotency_key=idempotency_key)

    monkeypatch.setattr(card.CardGateway, "refund", provider_refund)
    staff = HttpClient()
    staff.force_login(f.staff_user())
    response = staff.post("/admin/payments/refund/add/", {"payment": payment.pk, "amount": "30.00", "reason": "x"})
    assert response.status_code == 302
    OpenbillWorker(batch=True, schedule=False, interval=0).run()

    assert seen == ["free"]
    assert Refund.objects.get().status == RefundStatus.COMPLETED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert run_audit() == []


REPLAYS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_signed_notification_posted_fifty_times_at_once_credits_once_and_bad_ones_change_nothing(
    settings: Any,
) -> None:
    from django.test import Client as HttpClient

    from openbill.payments.models import Payment, PaymentStatus

    settings.OPENBILL_CARD_TEST_MODE = True
    provider = f.provider()
    alice = f.client(provider, "alice@test.test", balance="100.00")
    payment, _result = actions.start_payment(
        alice,
        method="card",
        amount="30.00",
        actor=Actor.system(),
        now=timezone.now(),
        absolute=lambda path: f"http://testserver{path}",
        return_url="/",
    )
    checkout = {"reference": str(payment.reference), "amount": "30.00", "currency": "USD"}
    body = card.notification_body(checkout, succeeded=True, event_id="evt_replayed")
    signature = card.sign(body, int(time.time()))
    barrier = threading.Barrier(REPLAYS)
    answers: list[Any] = []

    def post() -> None:
        try:
            barrier.wait()
            response = HttpClient().post(
                "/pay/card/notify/", data=body, content_type="application/json", HTTP_X_CARD_SIGNATURE=signature
            )
            answers.append((response.status_code, response.json().get("result")))
        except Exception as exc:  # collected and asserted below
            answers.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(REPLAYS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert Counter(answers) == {(200, "credited"): 1, (200, "duplicate"): REPLAYS - 1}
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("130.00")
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT, client=alice).count() == 2
    assert PaymentEvent.objects.count() == 1

    # A bad signature, another amount, an unknown payment: 4xx, and nothing changes.
    second, _ = actions.start_payment(
        alice,
        method="card",
        amount="20.00",
        actor=Actor.system(),
        now=timezone.now(),
        absolute=lambda path: f"http://testserver{path}",
        return_url="/",
    )
    good = {"reference": str(second.reference), "amount": "20.00", "currency": "USD"}
    wrong_amount = card.notification_body({**good, "amount": "2000.00"}, succeeded=True, event_id="evt_a")
    unknown = card.notification_body(
        {**good, "reference": "00000000-0000-0000-0000-000000000000"}, succeeded=True, event_id="evt_u"
    )
    forged = card.notification_body(good, succeeded=True, event_id="evt_f")
    now = int(time.time())
    for sent, sig in (
        (forged, card.sign(forged, now).replace("v1=", "v1=0")),
        (wrong_amount, card.sign(wrong_amount, now)),
        (unknown, card.sign(unknown, now)),
    ):
        response = HttpClient().post(
            "/pay/card/notify/", data=sent, content_type="application/json", HTTP_X_CARD_SIGNATURE=sig
        )
        assert 400 <= response.status_code < 500
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("130.00")
    assert Payment.objects.get(pk=second.pk).status == PaymentStatus.PENDING
    assert PaymentEvent.objects.count() == 1
    assert run_audit() == []
