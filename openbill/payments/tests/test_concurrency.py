"""The same notification delivered by many threads at once credits once (PostgreSQL)."""

from __future__ import annotations

import threading
import time
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
