"""A card checkout that is declined says why and offers to try again; one left unfinished
expires after OPENBILL_CARD_CHECKOUT_MINUTES (the payments sweep), and money that arrives after
all is still credited."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.core.actors import Actor
from openbill.core.scheduler import SWEEPS
from openbill.payments import actions
from openbill.payments.gateways import card
from openbill.payments.models import Payment, PaymentStatus
from openbill.payments.tasks import expire_checkouts_task

pytestmark = pytest.mark.django_db
ALICE = Actor("client", None, "alice")


def _start(client: Any, method: str = "card", amount: str = "25.00", now: Any = None) -> Payment:
    payment, _result = actions.start_payment(
        client, method=method, amount=amount, actor=ALICE, now=now or timezone.now(), return_url="/back/"
    )
    return payment


def _deliver(payment: Payment, *, succeeded: bool, failure_code: str = "", event_id: str = "evt_1") -> None:
    checkout = {"reference": str(payment.reference), "amount": str(payment.amount), "currency": payment.currency}
    body = card.notification_body(checkout, succeeded=succeeded, event_id=event_id, failure_code=failure_code)
    response = HttpClient().post(
        "/pay/card/notify/",
        data=body,
        content_type="application/json",
        HTTP_X_CARD_SIGNATURE=card.sign(body, int(time.time())),
    )
    assert response.status_code == 200


def test_a_declined_card_says_why_and_offers_to_try_again(alice: Any, alice_user: Any) -> None:
    payment = _start(alice)
    _deliver(payment, succeeded=False, failure_code="insufficient_funds")
    http = HttpClient()
    http.force_login(alice_user)

    back = http.get("/finances/payments/?outcome=declined").content.decode()
    page = http.get(f"/finances/payments/{payment.pk}/").content.decode()

    for where, html in (("back", back), ("page", page)):
        assert where and "The payment was not made: The card does not have enough funds." in html
        assert 'href="/finances/topup/?amount=25.00"' in html and "Try again" in html
    assert http.get("/finances/topup/?amount=25.00").status_code == 200


def test_an_unfinished_checkout_expires_and_late_money_is_still_credited(alice: Any, settings: Any) -> None:
    settings.OPENBILL_CARD_CHECKOUT_MINUTES = 30
    now = timezone.now()
    abandoned = _start(alice, now=now - timedelta(minutes=31))
    fresh = _start(alice, now=now - timedelta(minutes=5))
    transfer = _start(alice, method="bank", now=now - timedelta(days=3))

    assert "card-checkout-expiry" in SWEEPS  # the worker's scheduler runs the sweep
    expire_checkouts_task.call()
    expire_checkouts_task.call()  # a second run changes nothing

    statuses = {p.pk: p.status for p in Payment.objects.all()}
    assert statuses == {
        abandoned.pk: PaymentStatus.FAILED,
        fresh.pk: PaymentStatus.PENDING,
        transfer.pk: PaymentStatus.PENDING,  # bank transfers wait for staff
    }
    assert abandoned.events.filter(kind="expired").count() == 1

    # The client paid at the last second: the provider's confirmation still credits it, once.
    _deliver(abandoned, succeeded=True, event_id="evt_late")
    abandoned.refresh_from_db()
    alice.refresh_from_db()
    assert abandoned.status == PaymentStatus.COMPLETED
    assert alice.balance_amount == Decimal("125.00")
    assert run_audit() == []


def test_an_expired_checkout_tells_the_client_it_ran_out_of_time(alice: Any, alice_user: Any, settings: Any) -> None:
    settings.OPENBILL_CARD_CHECKOUT_MINUTES = 30
    payment = _start(alice, now=timezone.now() - timedelta(hours=1))
    actions.expire_checkouts(timezone.now())
    http = HttpClient()
    http.force_login(alice_user)

    page = http.get(f"/finances/payments/{payment.pk}/").content.decode()

    assert "The payment was not finished in time, so it was cancelled." in page
    assert "Try again" in page
