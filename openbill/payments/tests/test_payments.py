"""Payments: the card gateway's signed notifications, bank transfers, refunds, corrections."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, InsufficientFunds
from openbill.core.models import Notice
from openbill.core.notify import render
from openbill.payments import actions
from openbill.payments.gateways import card
from openbill.payments.models import Payment, PaymentEvent, PaymentStatus, RefundStatus

ALICE = Actor("client", None, "alice")
STAFF = Actor("staff", None, "staff")


def card_payment(client: Any, amount: str = "25.00") -> Payment:
    payment, result = actions.start_payment(
        client, method="card", amount=amount, actor=ALICE, now=timezone.now(), return_url="/back/"
    )
    assert result.redirect_url.startswith("http://testserver/pay/card/checkout/")
    return payment


def notification(
    payment: Payment, *, event_id: str = "evt_1", amount: str | None = None, succeeded: bool = True
) -> bytes:
    checkout = {
        "reference": str(payment.reference),
        "amount": amount or str(payment.amount),
        "currency": payment.currency,
    }
    return card.notification_body(checkout, succeeded=succeeded, event_id=event_id)


def deliver(body: bytes, signature: str | None = None) -> Any:
    headers = {}
    if signature is not None:
        headers["HTTP_X_CARD_SIGNATURE"] = signature
    return HttpClient().post("/pay/card/notify/", data=body, content_type="application/json", **headers)


def test_a_signed_notification_credits_the_payment_once_however_often_delivered(alice: Any) -> None:
    payment = card_payment(alice)
    body = notification(payment)
    signature = card.sign(body, int(time.time()))
    answers = [deliver(body, signature).status_code for _ in range(5)]
    assert answers == [200] * 5
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert PaymentEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(client=alice, kind=EntryKind.PAYMENT, key=f"payment:{payment.pk}").count() == 1
    assert Notice.objects.filter(template="payment_received").count() == 1
    assert run_audit() == []


def test_a_replayed_notification_signed_later_credits_nothing_more(alice: Any) -> None:
    payment = card_payment(alice)
    body = notification(payment)
    deliver(body, card.sign(body, int(time.time()) - 3600))
    deliver(body, card.sign(body, int(time.time())))
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")


@pytest.mark.parametrize(
    "signature",
    [None, "", "t=1,v1=00", "v1=abc", "garbage"],
)
def test_unsigned_or_wrongly_signed_notifications_credit_nothing(alice: Any, signature: str | None) -> None:
    payment = card_payment(alice)
    response = deliver(notification(payment), signature)
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert not PaymentEvent.objects.exists()


def test_a_notification_signed_for_another_body_credits_nothing(alice: Any) -> None:
    payment = card_payment(alice)
    signature = card.sign(notification(payment, amount="1.00"), int(time.time()))
    response = deliver(notification(payment, amount="25.00"), signature)
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_a_notification_with_another_amount_credits_nothing(alice: Any) -> None:
    payment = card_payment(alice)
    body = notification(payment, amount="2500.00")
    response = deliver(body, card.sign(body, int(time.time())))
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_a_declined_card_marks_the_payment_failed(alice: Any) -> None:
    payment = card_payment(alice)
    body = notification(payment, succeeded=False)
    assert deliver(body, card.sign(body, int(time.time()))).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def signed_event(payment: Payment, **fields: Any) -> bytes:
    data = {
        "id": "evt_x",
        "type": "payment.failed",
        "reference": str(payment.reference),
        "amount": str(payment.amount),
        "currency": payment.currency,
        "created": int(time.time()),
    }
    data.update(fields)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "payment.failed", "amount": "999.00", "currency": "EUR"},
        {"type": "payment.failed", "amount": "999.00"},
        {"type": "payment.failed", "currency": "EUR"},
        {"type": "payment.refunded"},
        {"type": "charge.dispute.created", "amount": "999.00", "currency": "EUR"},
    ],
)
def test_an_event_of_another_type_or_amount_leaves_a_pending_payment_pending(alice: Any, fields: Any) -> None:
    payment = card_payment(alice)
    body = signed_event(payment, **fields)
    response = deliver(body, card.sign(body, int(time.time())))
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()
    # …and the real outcome still counts when it arrives
    good = notification(payment, event_id="evt_real")
    assert deliver(good, card.sign(good, int(time.time()))).status_code == 200
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"id": "evt_1"}', b'{"id": "e", "type": "payment.succeeded", "amount": {}}', b"\xff"],
)
def test_a_validly_signed_malformed_body_is_answered_malformed(alice: Any, body: bytes) -> None:
    card_payment(alice)
    response = deliver(body, card.sign(body, int(time.time())))
    assert response.status_code == 400
    assert response.json() == {"detail": "malformed"}
    assert not PaymentEvent.objects.exists()


def test_a_wrongly_signed_body_is_answered_invalid_signature(alice: Any) -> None:
    response = deliver(b"not json", "t=1,v1=00")
    assert response.status_code == 400
    assert response.json() == {"detail": "invalid signature"}


def test_a_bank_transfer_is_credited_when_staff_confirm_it(alice: Any, provider: Any) -> None:
    provider.bank_details = "IBAN ES00 1234"
    provider.save()
    payment, result = actions.start_payment(
        alice, method="bank", amount="40", actor=ALICE, now=timezone.now(), return_url="/"
    )
    assert "IBAN ES00 1234" in result.instructions
    assert "40.00 USD" in result.instructions
    assert not result.redirect_url
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert actions.confirm_payment(payment, actor=STAFF, now=timezone.now()) == "credited"
    assert actions.confirm_payment(payment, actor=STAFF, now=timezone.now()) == "duplicate"
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("140.00")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"currency": "EUR"}, "currency"),
    ],
)
def test_bad_top_ups_name_the_field_and_create_nothing(alice: Any, overrides: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"method": "card", "amount": "10", "currency": "USD"}
    values.update(overrides)
    with pytest.raises(DomainError) as raised:
        actions.start_payment(alice, actor=ALICE, now=timezone.now(), return_url="/", **values)
    assert raised.value.field == field
    assert not Payment.objects.exists()


def test_a_card_refund_debits_the_balance_and_is_shown_as_a_ledger_line(alice: Any) -> None:
    payment = card_payment(alice)
    body = notification(payment)
    deliver(body, card.sign(body, int(time.time())))
    refund = actions.refund_payment(
        payment, amount="10.00", reason="Asked by the client", actor=STAFF, now=timezone.now()
    )
    assert refund.status == RefundStatus.PENDING  # the provider is asked after the commit
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("115.00")
    assert actions.send_refund(refund.pk, now=timezone.now()) == RefundStatus.COMPLETED
    refund.refresh_from_db()
    assert refund.provider_refund_id.startswith("re_")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("115.00")
    line = LedgerEntry.objects.get(key=f"refund:{refund.pk}")
    assert line.kind == EntryKind.REFUND and "Asked by the client" in line.description
    with pytest.raises(DomainError) as raised:
        actions.refund_payment(payment, amount="20.00", reason="again", actor=STAFF, now=timezone.now())
    assert raised.value.field == "amount"
    actions.refund_payment(payment, amount="15.00", reason="rest", actor=STAFF, now=timezone.now())
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert run_audit() == []


def test_money_already_spent_is_not_refunded(alice: Any) -> None:
    payment = card_payment(alice, "25.00")
    body = notification(payment)
    deliver(body, card.sign(body, int(time.time())))
    actions.record_correction(alice, amount="-120.00", reason="spent", actor=STAFF, now=timezone.now())
    with pytest.raises(InsufficientFunds):
        actions.refund_payment(payment, amount="25.00", reason="x", actor=STAFF, now=timezone.now())
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_corrections_are_new_ledger_entries_with_their_reason(alice: Any) -> None:
    actions.record_correction(alice, amount="7.50", reason="Goodwill credit", actor=STAFF, now=timezone.now())
    actions.record_correction(alice, amount="-2.50", reason="Bank fee", actor=STAFF, now=timezone.now())
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("105.00")
    descriptions = {entry.description for entry in LedgerEntry.objects.filter(kind=EntryKind.CORRECTION)}
    assert descriptions == {"Correction: Goodwill credit", "Correction: Bank fee"}
    with pytest.raises(DomainError):
        actions.record_correction(alice, amount="0", reason="nothing", actor=STAFF, now=timezone.now())
    with pytest.raises(DomainError):
        actions.record_correction(alice, amount="1", reason=" ", actor=STAFF, now=timezone.now())


def test_the_payment_email_is_in_the_clients_language(alice: Any) -> None:
    payment = card_payment(alice)
    body = notification(payment)
    deliver(body, card.sign(body, int(time.time())))
    subject, text = render(Notice.objects.get(template="payment_received"))
    assert subject == "Payment received: 25.00 USD"
    assert "Your balance is now 125 USD." in text


def test_the_checkout_page_sends_the_signed_notification_over_http(alice: Any, monkeypatch: Any) -> None:
    """The stand-in provider posts with ``requests``; here its transport is the test client."""
    payment, result = actions.start_payment(
        alice, method="card", amount="25.00", actor=ALICE, now=timezone.now(), return_url="/back/"
    )
    sent: list[int] = []

    def post(url: str, data: bytes, headers: dict[str, str], timeout: int) -> Any:
        response = HttpClient().post(
            url.replace("http://testserver", ""),
            data=data,
            content_type="application/json",
            HTTP_X_CARD_SIGNATURE=headers[card.SIGNATURE_HEADER],
        )
        sent.append(response.status_code)
        return response

    monkeypatch.setattr(card.requests, "post", post)
    path = result.redirect_url.replace("http://testserver", "")
    page = HttpClient()
    assert page.get(path).status_code == 200
    response = page.post(path, {"card_number": "4242 4242 4242 4242"})
    assert response.status_code == 302 and "outcome=done" in response["Location"]
    assert sent == [200]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")


def test_money_for_a_pending_order_pays_it_when_it_arrives(bob: Any, vps_plan: Any) -> None:
    from openbill.orders import actions as orders
    from openbill.orders.models import OrderStatus
    from openbill.services.choices import Operation

    order = orders.order_now(bob, actor=ALICE, now=timezone.now(), tariff=vps_plan.pk, period="year")
    with pytest.raises(InsufficientFunds):
        orders.pay_order(order, actor=ALICE, now=timezone.now())
    service = order.lines.get().service
    assert service.label == "Ordered"  # the money is on its way
    payment, _result = actions.start_payment(
        bob,
        method="card",
        amount="455.00",
        order=order,
        actor=ALICE,
        now=timezone.now(),
        return_url="/",
    )
    body = notification(payment)
    deliver(body, card.sign(body, int(time.time())))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    service.refresh_from_db()
    assert service.operation == Operation.ACTIVATION
    bob.refresh_from_db()
    assert bob.balance_amount == Decimal("0.00")


@pytest.mark.parametrize("seconds", [-600, 600, -86400])
def test_a_notification_signed_minutes_away_from_now_credits_nothing(alice: Any, seconds: int) -> None:
    """Correctly signed, never delivered before, but signed too long ago (or ahead): refused."""
    payment = card_payment(alice)
    body = notification(payment, event_id=f"evt_old_{seconds}")
    response = deliver(body, card.sign(body, int(time.time()) + seconds))
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert not PaymentEvent.objects.exists()
    fresh = deliver(body, card.sign(body, int(time.time()) - 60))  # a minute of clock skew is fine
    assert fresh.status_code == 200
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")


def start_with_key(client: Any, key: str, **overrides: Any) -> Payment:
    values: dict[str, Any] = {"method": "card", "amount": "10.00", **overrides}
    payment, _result = actions.start_payment(
        client, actor=ALICE, now=timezone.now(), return_url="/", request_key=key, **values
    )
    return payment


def test_a_repeated_top_up_request_returns_the_same_payment(alice: Any) -> None:
    first = start_with_key(alice, "k1")
    assert start_with_key(alice, "k1", amount="10") == first
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [{"amount": "99.00"}, {"method": "bank"}, {"order": "pending order"}],
    ids=["amount", "method", "order"],
)
def test_a_top_up_request_key_reused_with_other_details_is_refused(
    alice: Any, vps_plan: Any, overrides: dict[str, Any]
) -> None:
    from openbill.orders import actions as orders

    first = start_with_key(alice, "k1")
    if "order" in overrides:
        overrides = {
            "order": orders.order_now(alice, actor=ALICE, now=timezone.now(), tariff=vps_plan.pk, period="year")
        }
    with pytest.raises(DomainError) as raised:
        start_with_key(alice, "k1", **overrides)
    assert raised.value.http_status == 422
    assert list(Payment.objects.all()) == [first]
    first.refresh_from_db()
    assert (first.amount, first.method, first.order_id) == (Decimal("10.00"), "card", None)


def test_the_top_up_page_says_when_its_request_was_made_with_other_details(alice_user: Any) -> None:
    browser = HttpClient()
    browser.force_login(alice_user)
    first = browser.post("/finances/topup/", {"method": "card", "amount": "10", "request_key": "abc"})
    assert first.status_code == 302
    again = browser.post("/finances/topup/", {"method": "card", "amount": "500", "request_key": "abc"})
    assert again.status_code == 200
    assert "This request was already made with other details" in again.content.decode()
    assert Payment.objects.get().amount == Decimal("10.00")


def test_the_test_card_gateway_is_off_unless_switched_on(alice: Any, alice_user: Any, settings: Any) -> None:
    """With the stand-in provider switched off nobody can credit themselves through it."""
    payment, result = actions.start_payment(
        alice, method="card", amount="25.00", actor=ALICE, now=timezone.now(), return_url="/"
    )
    checkout = result.redirect_url.replace("http://testserver", "")
    settings.OPENBILL_CARD_TEST_MODE = False

    assert [m.code for m in actions.available_methods(alice.provider_id)] == ["bank"]
    with pytest.raises(DomainError) as raised:
        actions.start_payment(alice, method="card", amount="10", actor=ALICE, now=timezone.now(), return_url="/")
    assert raised.value.field == "method"
    browser = HttpClient()
    browser.force_login(alice_user)
    assert browser.get(checkout).status_code == 404
    assert browser.post(checkout, {"card_number": "4242424242424242"}).status_code == 404
    body = notification(payment)
    assert deliver(body, card.sign(body, int(time.time()))).status_code == 404
    topup = browser.get("/finances/topup/").content.decode()
    assert 'value="bank"' in topup and 'value="card"' not in topup
    assert browser.post("/finances/topup/", {"method": "card", "amount": "10"}).status_code == 200
    api = browser.get("/api/v1/payment-methods/")
    assert [m["code"] for m in api.json()["results"]] == ["bank"]
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert Payment.objects.count() == 1


def test_the_checkout_page_says_it_is_a_test_gateway(alice: Any) -> None:
    _payment, result = actions.start_payment(
        alice, method="card", amount="25.00", actor=ALICE, now=timezone.now(), return_url="/"
    )
    page = HttpClient().get(result.redirect_url.replace("http://testserver", "")).content.decode()
    assert "Test gateway: no real card is charged." in page


def paid_by_card(client: Any, amount: str = "25.00") -> Payment:
    payment = card_payment(client, amount)
    body = notification(payment, event_id=f"evt_paid_{payment.pk}")
    assert deliver(body, card.sign(body, int(time.time()))).status_code == 200
    payment.refresh_from_db()
    return payment


def test_a_refused_refund_restores_what_other_refunds_left_meanwhile(alice: Any, monkeypatch: Any) -> None:
    """Refund A (10) is refused by the provider while refund B (5) went through meanwhile: the
    payment keeps B's 5 refunded — not a value read before B."""
    payment = paid_by_card(alice)  # alice: 125.00
    original = card.CardGateway.refund
    refund_a = actions.refund_payment(payment, amount="10.00", reason="A", actor=STAFF, now=timezone.now())

    def provider_refund(self: Any, paid: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        if idempotency_key == f"refund:{refund_a.pk}":
            refund_b = actions.refund_payment(payment, amount="5.00", reason="B", actor=STAFF, now=timezone.now())
            assert actions.send_refund(refund_b.pk, now=timezone.now()) == RefundStatus.COMPLETED
            raise card.GatewayError("card expired")
        return original(self, paid, amount, idempotency_key=idempotency_key)

    monkeypatch.setattr(card.CardGateway, "refund", provider_refund)
    assert actions.send_refund(refund_a.pk, now=timezone.now()) == RefundStatus.FAILED
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("5.00")
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.refundable_amount == Decimal("20.00")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("120.00")
    assert LedgerEntry.objects.get(key=f"refund-reversal:{refund_a.pk}").amount == Decimal("10.00")
    assert actions.send_refund(refund_a.pk, now=timezone.now()) == RefundStatus.FAILED  # once
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("120.00")
    assert run_audit() == []


def test_a_refused_full_refund_makes_the_payment_refundable_again(alice: Any, monkeypatch: Any) -> None:
    payment = paid_by_card(alice)
    refund = actions.refund_payment(payment, amount="25.00", reason="all", actor=STAFF, now=timezone.now())
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED

    def refuse(self: Any, paid: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        raise card.GatewayError("declined")

    monkeypatch.setattr(card.CardGateway, "refund", refuse)
    assert actions.send_refund(refund.pk, now=timezone.now()) == RefundStatus.FAILED
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.COMPLETED, Decimal("0.00"))
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")


@pytest.mark.parametrize("via", ["client area", "API"])
def test_card_gateway_urls_are_on_the_base_url_whatever_the_host_header(
    alice_user: Any, settings: Any, via: str
) -> None:
    settings.OPENBILL_BASE_URL = "https://billing.example.com"
    browser = HttpClient(HTTP_HOST="localhost:31337")
    browser.force_login(alice_user)
    if via == "API":
        answer = browser.post("/api/v1/payments/", {"method": "card", "amount": "10"}, content_type="application/json")
        redirect_url = answer.json()["redirect_url"]
    else:
        redirect_url = browser.post("/finances/topup/", {"method": "card", "amount": "10"})["Location"]

    assert redirect_url.startswith("https://billing.example.com/pay/card/checkout/")
    checkout = card.read_checkout_token(redirect_url.rstrip("/").rsplit("/", 1)[1])
    assert checkout["notify_url"] == "https://billing.example.com/pay/card/notify/"
    assert checkout["return_url"] == "https://billing.example.com/finances/payments/"
