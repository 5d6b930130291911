"""PayPal (Orders v2) at the HTTP boundary: a local server answers PayPal's REST calls with the
request and response shapes of PayPal's documentation (OAuth token, create order, capture,
verify-webhook-signature, refund a capture). Nothing inside Openbill is mocked."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.payments import actions
from openbill.payments.models import Payment, PaymentEvent, PaymentStatus, RefundStatus

from .paypal_helpers import FakePayPal

ALICE = Actor("client", None, "alice")
STAFF = Actor("staff", None, "staff")


def start(client: Any, amount: str = "25.00", key: str = "") -> tuple[Payment, str]:
    payment, result = actions.start_payment(
        client, method="paypal", amount=amount, actor=ALICE, now=timezone.now(), return_url="/", request_key=key
    )
    payment.refresh_from_db()
    return payment, result.redirect_url


def deliver(body: bytes, headers: dict[str, str]) -> Any:
    return HttpClient().post("/pay/paypal/webhook/", data=body, content_type="application/json", **headers)


def paypal_credits(client: Any) -> list[tuple[str, Decimal]]:
    rows = LedgerEntry.objects.filter(client=client, kind=EntryKind.PAYMENT, key__startswith="payment:")
    return list(rows.values_list("key", "amount"))


def test_approved_on_paypal_captured_by_openbill_credited_once_with_the_webhook(alice: Any, paypal: FakePayPal) -> None:
    payment, url = start(alice)
    assert url == f"https://www.sandbox.paypal.com/checkoutnow?token={payment.provider_id}"
    unit = paypal.orders[payment.provider_id]["unit"]
    assert unit["amount"] == {"currency_code": "USD", "value": "25.00"} and unit["custom_id"] == str(payment.reference)
    # Coming back before approving proves nothing: the capture is refused, nothing credited.
    assert HttpClient().get(f"/pay/paypal/return/{payment.reference}/").status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    paypal.orders[payment.provider_id]["approved"] = True  # the client approves on PayPal
    HttpClient().get(f"/pay/paypal/return/{payment.reference}/")
    HttpClient().get(f"/pay/paypal/return/{payment.reference}/")  # reloaded: nothing more
    body, headers = paypal.webhook(paypal.capture_event(payment.provider_id))
    assert [deliver(body, headers).status_code for _ in range(3)] == [200, 200, 200]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    assert paypal_credits(alice) == [(f"payment:{payment.pk}", Decimal("25.00"))]
    assert run_audit() == []


def test_the_webhook_alone_credits_a_capture_whose_return_never_came(alice: Any, paypal: FakePayPal) -> None:
    payment, _url = start(alice)
    paypal.orders[payment.provider_id]["approved"] = True
    from openbill.payments.gateways import paypal as gw

    gw.capture_order(
        gw.keys_for(None), payment.provider_id, reference=str(payment.reference)
    )  # captured; the browser vanished
    body, headers = paypal.webhook(paypal.capture_event(payment.provider_id))
    assert deliver(body, headers).json() == {"result": "credited"}
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")


def test_a_forged_paypal_event_is_refused_and_credits_nothing(alice: Any, paypal: FakePayPal) -> None:
    payment, _url = start(alice)
    paypal.orders[payment.provider_id]["approved"] = True
    from openbill.payments.gateways import paypal as gw

    gw.capture_order(gw.keys_for(None), payment.provider_id, reference=str(payment.reference))
    event = paypal.capture_event(payment.provider_id)
    body, headers = paypal.webhook(event)
    forged_headers = {**headers, "HTTP_PAYPAL_TRANSMISSION_SIG": "forged"}
    assert deliver(body, forged_headers).status_code == 400
    unsigned = {k: v for k, v in headers.items() if k != "HTTP_PAYPAL_TRANSMISSION_SIG"}
    assert deliver(body, unsigned).status_code == 400
    changed = json.dumps({**event, "id": "WH-OTHER"}).encode()  # a body PayPal did not send
    assert deliver(changed, headers).status_code == 400
    assert not PaymentEvent.objects.exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


@pytest.mark.parametrize(
    "amount", [{"currency_code": "USD", "value": "2.50"}, {"currency_code": "EUR", "value": "25.00"}]
)
def test_a_verified_event_for_other_money_changes_nothing(
    alice: Any, paypal: FakePayPal, amount: dict[str, str]
) -> None:
    payment, _url = start(alice)
    paypal.orders[payment.provider_id]["approved"] = True
    from openbill.payments.gateways import paypal as gw

    gw.capture_order(gw.keys_for(None), payment.provider_id, reference=str(payment.reference))
    body, headers = paypal.webhook(paypal.capture_event(payment.provider_id, amount=amount))
    response = deliver(body, headers)
    assert response.status_code == 200 and response.json() == {"result": "amount mismatch"}
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_starting_the_same_payment_twice_makes_one_paypal_order(alice: Any, paypal: FakePayPal) -> None:
    first, url = start(alice, key="k1")
    again, url_again = start(alice, key="k1")
    assert again.pk == first.pk and url_again == url
    assert len(paypal.orders) == 1


def test_a_paypal_refund_goes_back_through_paypal_and_the_ledger_records_it(alice: Any, paypal: FakePayPal) -> None:
    payment, _url = start(alice)
    paypal.orders[payment.provider_id]["approved"] = True
    HttpClient().get(f"/pay/paypal/return/{payment.reference}/")
    refund = actions.refund_payment(payment, amount="10.00", reason="goodwill", actor=STAFF, now=timezone.now())
    assert actions.send_refund(refund.pk, now=timezone.now()) == RefundStatus.COMPLETED
    capture_id = paypal.orders[payment.provider_id]["capture"]["id"]
    assert paypal.refunds == [{"capture": capture_id, "amount": {"value": "10.00", "currency_code": "USD"}}]
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("115.00")
    assert list(LedgerEntry.objects.filter(client=alice, kind=EntryKind.REFUND).values_list("key", "amount")) == [
        (f"refund:{refund.pk}", Decimal("-10.00"))
    ]
    assert run_audit() == []


def approved_event(paypal: FakePayPal, payment: Payment) -> dict[str, Any]:
    """CHECKOUT.ORDER.APPROVED as PayPal posts it: the order, its unit with the custom_id."""
    unit = paypal.orders[payment.provider_id]["unit"]
    return {
        "id": "WH-" + uuid.uuid4().hex[:16].upper(),
        "event_version": "1.0",
        "resource_type": "checkout-order",
        "event_type": "CHECKOUT.ORDER.APPROVED",
        "resource": {"id": payment.provider_id, "intent": "CAPTURE", "status": "APPROVED", "purchase_units": [unit]},
    }


def test_the_approved_event_captures_once_with_the_return_and_the_completed_event(
    alice: Any, paypal: FakePayPal
) -> None:
    payment, _url = start(alice)
    paypal.orders[payment.provider_id]["approved"] = True  # approved on PayPal; the browser vanished
    body, headers = paypal.webhook(approved_event(paypal, payment))
    assert deliver(body, headers).json() == {"result": "credited"}
    assert deliver(body, headers).json() == {"result": "completed"}  # replayed: nothing more
    HttpClient().get(f"/pay/paypal/return/{payment.reference}/")  # the browser comes back after all
    completed_body, completed_headers = paypal.webhook(paypal.capture_event(payment.provider_id))
    assert deliver(completed_body, completed_headers).json() == {"result": "already credited"}
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    assert paypal_credits(alice) == [(f"payment:{payment.pk}", Decimal("25.00"))]
    assert len([k for k in paypal.by_request_id if k.startswith("capture:")]) == 1
    assert run_audit() == []


def test_a_forged_approved_event_captures_nothing(alice: Any, paypal: FakePayPal) -> None:
    payment, _url = start(alice)
    paypal.orders[payment.provider_id]["approved"] = True
    body, headers = paypal.webhook(approved_event(paypal, payment))
    assert deliver(body, {**headers, "HTTP_PAYPAL_TRANSMISSION_SIG": "forged"}).status_code == 400
    assert paypal.orders[payment.provider_id]["capture"] is None
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_an_order_never_approved_expires_and_approving_it_later_moves_no_money(alice: Any, paypal: FakePayPal) -> None:
    from datetime import timedelta

    from openbill.payments.gateways import paypal as gw

    payment, _url = start(alice)
    created = payment.created_at
    assert actions.expire_checkouts(created + gw.CHECKOUT_LIFETIME - timedelta(minutes=1)) == 0
    assert actions.expire_checkouts(created + gw.CHECKOUT_LIFETIME + timedelta(minutes=1)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    paypal.orders[payment.provider_id]["approved"] = True  # approved too late
    body, headers = paypal.webhook(approved_event(paypal, payment))
    assert deliver(body, headers).json() == {"result": "failed"}
    HttpClient().get(f"/pay/paypal/return/{payment.reference}/")
    assert paypal.orders[payment.provider_id]["capture"] is None
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00") and paypal_credits(alice) == []
