"""Card payments through Stripe, against localstripe (a stateful stand-in for Stripe's API) and
its signed webhooks: one-off payments, 3-D Secure, saved cards, automatic payment at renewal,
refunds to the card and the reconciliation."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.models import Notice
from openbill.core.notify import render
from openbill.core.tests import factories as f
from openbill.payments import actions, cards
from openbill.payments.gateways import stripe_gateway as gw
from openbill.payments.models import Payment, PaymentEvent, PaymentStatus, RefundStatus, SavedCard, UnknownCharge
from openbill.services import sweeps

from .stripe_helpers import (
    CARD_3DS,
    CARD_DECLINED_ON_CHARGE,
    browser_authenticates,
    browser_sets_up_card,
    claimed_autopay,
    deliver,
    signed,
)

ALICE = Actor("client", None, "alice")
STAFF = Actor("staff", None, "staff")


def stripe_payment(client: Any, amount: str = "25.00", order: Any = None) -> Payment:
    payment, result = actions.start_payment(
        client, method="stripe", amount=amount, order=order, actor=ALICE, now=timezone.now(), return_url="/"
    )
    assert result.redirect_url.endswith(f"/finances/payments/{payment.pk}/card/")
    return payment


def charged_unrecorded(payment: Payment) -> None:
    """Stripe charges a new card for the payment, and Openbill never hears the answer."""
    customer = cards.customer_id(payment.client, now=timezone.now())
    keys = gw.keys_for(None)
    method = gw.confirmed_card(keys, browser_sets_up_card(payment.client), customer=customer).id
    gw.create_intent(keys, payment, customer=customer, method=method, off_session=False)


def credits(client: Any) -> list[tuple[str, Decimal]]:
    rows = LedgerEntry.objects.filter(client=client, kind=EntryKind.PAYMENT, key__startswith="payment:")
    return list(rows.values_list("key", "amount"))


def test_paying_an_order_by_card_credits_once_and_activates_it(bob: Any, vps_plan: Any, sink: Any) -> None:
    from openbill.orders import actions as orders
    from openbill.orders.models import OrderStatus
    from openbill.services.choices import Operation

    order = orders.order_now(bob, actor=ALICE, now=timezone.now(), tariff=vps_plan.pk, period="year")
    payment = stripe_payment(bob, "455.00", order=order)
    outcome = cards.pay_with_card(payment, now=timezone.now(), setup_intent_id=browser_sets_up_card(bob))
    assert outcome == "credited"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.lines.get().service.operation == Operation.ACTIVATION
    # Stripe's webhook for the same PaymentIntent arrives afterwards: nothing more.
    [(body, signature)] = sink.events(gw.SUCCEEDED)
    assert deliver(body, signature).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and payment.provider_id.startswith("pi_")
    assert credits(bob) == [(f"payment:{payment.pk}", Decimal("455.00"))]
    bob.refresh_from_db()
    assert bob.balance_amount == Decimal("0.00")
    assert run_audit() == []


def test_the_webhook_credits_a_payment_whose_answer_was_lost_once_however_often_replayed(alice: Any, sink: Any) -> None:
    payment = stripe_payment(alice)
    charged_unrecorded(payment)  # the request died before recording Stripe's answer
    [(body, signature)] = sink.events(gw.SUCCEEDED)
    answers = [deliver(body, signature).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    assert credits(alice) == [(f"payment:{payment.pk}", Decimal("25.00"))]


def test_a_forged_or_unsigned_event_is_refused_and_changes_nothing(alice: Any, sink: Any) -> None:
    payment = stripe_payment(alice)
    charged_unrecorded(payment)
    [(body, _signature)] = sink.events(gw.SUCCEEDED)
    for forged in (signed(body, secret="whsec_someone_else"), "", "t=1,v1=00"):
        assert deliver(body, forged).status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize("change", [{"amount": 99}, {"currency": "eur"}])
def test_an_event_for_other_money_is_answered_2xx_and_credits_nothing(
    alice: Any, sink: Any, change: dict[str, Any]
) -> None:
    payment = stripe_payment(alice)
    charged_unrecorded(payment)
    [(body, _signature)] = sink.events(gw.SUCCEEDED)
    event = json.loads(body)
    event["id"] = "evt_changed"
    event["data"]["object"].update(change)
    changed = json.dumps(event).encode()
    response = deliver(changed, signed(changed))
    assert response.status_code == 200 and response.json()["result"] == "amount mismatch"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_an_event_for_an_unknown_payment_or_of_another_type_is_answered_2xx(alice: Any, stripe_on: Any) -> None:
    for event in (
        {"id": "evt_a", "type": gw.SUCCEEDED, "data": {"object": {"id": "pi_x", "amount": 100, "currency": "usd"}}},
        {"id": "evt_b", "type": "customer.created", "data": {"object": {"id": "cus_x"}}},
    ):
        body = json.dumps(event).encode()
        assert deliver(body, signed(body)).status_code == 200
    assert not PaymentEvent.objects.exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_3d_secure_keeps_the_payment_pending_until_the_client_completes_it(alice: Any, sink: Any) -> None:
    payment = stripe_payment(alice)
    outcome = cards.pay_with_card(payment, now=timezone.now(), setup_intent_id=browser_sets_up_card(alice, CARD_3DS))
    assert outcome == cards.REQUIRES_ACTION
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.provider_status == "requires_action"
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    # The page shows Stripe.js's authentication; the client confirms it there.
    user = HttpClient()
    user.force_login(alice.memberships.get().user)
    page = user.get(f"/finances/payments/{payment.pk}/card/")
    assert page.status_code == 200 and b"stripe-authenticate" in page.content
    browser_authenticates(sink_server(), payment.provider_id)
    back = user.get(f"/finances/payments/{payment.pk}/card/?authenticated=1")
    assert back.status_code == 302
    [(body, signature)] = sink.events(gw.SUCCEEDED)
    assert deliver(body, signature).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    assert credits(alice) == [(f"payment:{payment.pk}", Decimal("25.00"))]


def sink_server() -> Any:
    from .stripe_helpers import server

    return server()


def test_a_declined_card_fails_the_payment_and_credits_nothing(alice: Any, stripe_on: Any) -> None:
    payment = stripe_payment(alice)
    setup = browser_sets_up_card(alice, CARD_DECLINED_ON_CHARGE)
    assert cards.pay_with_card(payment, now=timezone.now(), setup_intent_id=setup) == "declined"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert credits(alice) == []


def test_the_browsers_word_that_a_card_was_set_up_is_not_taken(alice: Any, bob: Any, stripe_on: Any) -> None:
    payment = stripe_payment(alice)
    bobs_setup = browser_sets_up_card(bob)
    with pytest.raises(Exception, match="card"):
        cards.pay_with_card(payment, now=timezone.now(), setup_intent_id=bobs_setup)
    unconfirmed, _secret = cards.start_card_setup(alice, now=timezone.now())
    with pytest.raises(Exception, match="card"):
        cards.save_card(alice, unconfirmed, make_default=True, now=timezone.now())
    assert not SavedCard.objects.exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.provider_id == ""


# --- saved cards ------------------------------------------------------------------------------


def test_saved_cards_first_is_default_choose_another_remove(alice: Any, stripe_on: Any) -> None:
    user = HttpClient()
    user.force_login(alice.memberships.get().user)
    assert user.get("/finances/payment-methods/").status_code == 200
    assert user.post("/finances/payment-methods/", {"setup_intent": browser_sets_up_card(alice)}).status_code == 302
    first = SavedCard.objects.get()
    assert first.is_default and first.last4 == "4242" and first.provider_id.startswith("pm_")
    user.post("/finances/payment-methods/", {"setup_intent": browser_sets_up_card(alice)})
    second = SavedCard.objects.exclude(pk=first.pk).get()
    assert not second.is_default
    user.post(f"/finances/payment-methods/{second.pk}/default/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    user.post(f"/finances/payment-methods/{second.pk}/remove/")
    first.refresh_from_db()
    assert first.is_default
    assert list(cards.active_cards(alice)) == [first]
    page = user.get("/finances/payment-methods/").content.decode()
    assert "4242" in page and "sk_test" not in page


# --- automatic payment at renewal --------------------------------------------------------------


def saved_card(client: Any, number: str = "4242424242424242") -> SavedCard:
    return cards.save_card(client, browser_sets_up_card(client, number), make_default=True, now=timezone.now())


def test_a_renewal_the_balance_cannot_cover_is_charged_to_the_card_once_then_renewed(
    vps_plan: Any, provider: Any, sink: Any
) -> None:
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance="4.00")
    service = f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    saved_card(carol)
    assert [(p.amount, p.service_id) for p in cards.plan_autopay(now)] == [(Decimal("6.00"), service.pk)]
    assert cards.run_autopay(now)["credited"] == 1
    assert cards.run_autopay(now + timedelta(minutes=15)).get("credited", 0) == 0  # the next run: nothing
    [(body, signature)] = sink.events(gw.SUCCEEDED)
    assert deliver(body, signature).status_code == 200
    payment = Payment.objects.get()
    assert (payment.amount, payment.status, payment.service_id) == (
        Decimal("6.00"),
        PaymentStatus.COMPLETED,
        service.pk,
    )
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("10.00")
    sweeps.run_now(now)
    service.refresh_from_db()
    carol.refresh_from_db()
    assert service.expires_at > now + timedelta(days=27)
    assert carol.balance_amount == Decimal("0.00")
    assert credits(carol) == [(f"payment:{payment.pk}", Decimal("6.00"))]
    assert cards.plan_autopay(now) == []
    assert run_audit() == []


def test_the_whole_renewal_is_charged_when_the_provider_says_so(
    vps_plan: Any, provider: Any, stripe_on: Any, settings: Any
) -> None:
    settings.OPENBILL_AUTOPAY_AMOUNT = "whole"
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance="4.00")
    f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    saved_card(carol)
    assert [p.amount for p in cards.plan_autopay(now)] == [Decimal("10.00")]


def test_a_balance_that_covers_the_renewal_charges_no_card(alice: Any, vps_plan: Any, stripe_on: Any) -> None:
    now = timezone.now()
    f.service(alice, vps_plan, expires_at=f.due_today(alice, now))
    saved_card(alice)
    assert cards.plan_autopay(now) == []
    cards.run_autopay(now)
    assert not Payment.objects.exists()


def test_a_declined_renewal_charge_tells_the_client_and_the_expiry_path_is_unchanged(
    vps_plan: Any, provider: Any, stripe_on: Any
) -> None:
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance=None)
    service = f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    saved_card(carol, CARD_DECLINED_ON_CHARGE)
    assert cards.run_autopay(now)["declined"] == 1
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    notice = Notice.objects.get(template="card_payment_failed")
    subject, body = render(notice)
    assert notice.client == carol and "declined" in subject and "10.00 USD" in body
    cards.run_autopay(now + timedelta(minutes=15))
    assert Payment.objects.count() == 1  # one attempt per renewal
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("0.00") and credits(carol) == []
    expires = service.expires_at
    sweeps.run_now(now)
    service.refresh_from_db()
    assert service.expires_at == expires  # not renewed: the usual notice days and expiry follow


def test_a_renewal_charge_the_bank_wants_confirmed_emails_the_client_a_link(
    vps_plan: Any, provider: Any, sink: Any
) -> None:
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance=None)
    f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    saved_card(carol, CARD_3DS)
    assert cards.run_autopay(now)[cards.REQUIRES_ACTION] == 1
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING
    notice = Notice.objects.get(template="card_action_required")
    subject, body = render(notice)
    assert "confirm" in subject and f"/finances/payments/{payment.pk}/card/" in body
    browser_authenticates(sink_server(), payment.provider_id)
    [(body, signature)] = sink.events(gw.SUCCEEDED)
    deliver(body, signature)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("10.00")


def test_a_worker_killed_after_the_charge_records_it_once_on_restart(
    vps_plan: Any, provider: Any, stripe_on: Any
) -> None:
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance=None)
    f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    card = saved_card(carol)
    payment = claimed_autopay(carol, card, now - timedelta(minutes=30), charged=True)
    customer = cards.customer_id(carol, now=now)
    # The restarted worker: the renewal's payment exists, so it is not charged again; the lost
    # charge is found at Stripe by its reference and recorded.
    outcomes = cards.run_autopay(now)
    assert outcomes["reconciled"] == 1
    cards.run_autopay(now + timedelta(minutes=15))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    intents = gw.client(gw.keys_for(None)).v1.payment_intents.list(params={"customer": customer}).data
    assert len(intents) == 1
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("10.00")
    assert credits(carol) == [(f"payment:{payment.pk}", Decimal("10.00"))]


def test_a_claim_whose_charge_stripe_never_made_is_charged_once_later(
    vps_plan: Any, provider: Any, stripe_on: Any
) -> None:
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance=None)
    f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    card = saved_card(carol)
    payment = claimed_autopay(carol, card, now, charged=False)
    assert cards.run_autopay(now + timedelta(minutes=1))["reconciled"] == 0  # maybe still charging
    assert cards.run_autopay(now + timedelta(minutes=11))["reconciled"] == 1
    assert cards.run_autopay(now + timedelta(minutes=30))["reconciled"] == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("10.00")


# --- refunds and reconciliation ----------------------------------------------------------------


def test_a_refund_goes_back_to_the_card_and_the_ledger_records_it(alice: Any, stripe_on: Any) -> None:
    payment = stripe_payment(alice)
    cards.pay_with_card(payment, now=timezone.now(), setup_intent_id=browser_sets_up_card(alice))
    refund = actions.refund_payment(payment, amount="10.00", reason="goodwill", actor=STAFF, now=timezone.now())
    assert actions.send_refund(refund.pk, now=timezone.now()) == RefundStatus.COMPLETED
    assert actions.send_refund(refund.pk, now=timezone.now()) == RefundStatus.COMPLETED  # a retry: nothing more
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.provider_refund_id.startswith("re_")
    at_stripe = gw.client(gw.keys_for(None)).v1.refunds.list(params={"payment_intent": payment.provider_id}).data
    assert [(r["id"], r["amount"]) for r in at_stripe] == [(refund.provider_refund_id, 1000)]
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("115.00")
    assert list(LedgerEntry.objects.filter(client=alice, kind=EntryKind.REFUND).values_list("key", "amount")) == [
        (f"refund:{refund.pk}", Decimal("-10.00"))
    ]
    # The task asked again after a lost answer finds the refund at Stripe and makes no second one.
    assert gw.StripeGateway().refund(payment, Decimal("10.00"), idempotency_key=f"refund:{refund.pk}") == (
        refund.provider_refund_id
    )
    assert len(gw.client(gw.keys_for(None)).v1.refunds.list(params={"payment_intent": payment.provider_id}).data) == 1
    assert run_audit() == []


def test_the_reconciliation_raises_one_alert_for_a_charge_openbill_does_not_know(alice: Any, stripe_on: Any) -> None:
    payment = stripe_payment(alice)
    cards.pay_with_card(payment, now=timezone.now(), setup_intent_id=browser_sets_up_card(alice))
    charged_unrecorded(Payment(client=alice, method="stripe", amount=Decimal("7.00"), currency="USD"))  # not saved
    assert cards.reconcile_charges(timezone.now()) == 1
    assert cards.reconcile_charges(timezone.now()) == 0
    alert = UnknownCharge.objects.get()
    assert (alert.amount, alert.currency) == (Decimal("7.00"), "USD")


def test_stripe_is_offered_only_when_configured(alice: Any, settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    assert "stripe" not in [m.code for m in actions.available_methods(alice.provider_id)]
    assert HttpClient().post("/pay/stripe/webhook/", data=b"{}", content_type="application/json").status_code == 404


def test_openbill_preview_shows_the_card_charges_it_would_make(vps_plan: Any, provider: Any, stripe_on: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance="4.00")
    service = f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    saved_card(carol)
    out = StringIO()
    call_command("preview", "--at", now.isoformat(), stdout=out)
    assert f"Charge 6.00 USD to the default card of carol@test.test for the renewal of service #{service.pk}" in (
        out.getvalue()
    )
    assert not Payment.objects.exists()  # a preview changes nothing


def test_stripe_asking_for_authentication_off_session_waits_for_the_client(
    vps_plan: Any, provider: Any, stripe_on: Any, httpserver: Any, settings: Any
) -> None:
    """At Stripe an off-session charge the bank wants confirmed is a 402 ``authentication_required``
    carrying the PaymentIntent (localstripe answers ``requires_action`` instead): this one call is
    answered at the HTTP boundary with Stripe's documented error body."""
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance=None)
    f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    card = saved_card(carol)
    [item] = cards.plan_autopay(now)
    reference: dict[str, str] = {}

    def stripe_refuses(request: Any) -> Any:
        from werkzeug import Response

        reference["value"] = request.form["metadata[openbill_payment]"]
        intent = {
            "id": "pi_3DS",
            "object": "payment_intent",
            "amount": int(request.form["amount"]),
            "currency": request.form["currency"],
            "status": "requires_payment_method",
            "client_secret": "pi_3DS_secret_x",
            "metadata": {"openbill_payment": reference["value"]},
            "last_payment_error": {"code": "authentication_required", "type": "card_error"},
        }
        error = {
            "code": "authentication_required",
            "decline_code": "authentication_required",
            "message": "Your card was declined. This transaction requires authentication.",
            "payment_intent": intent,
            "type": "card_error",
        }
        return Response(json.dumps({"error": error}), status=402, content_type="application/json")

    httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_handler(stripe_refuses)
    settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")
    assert cards.autopay_one(item, now=now) == cards.REQUIRES_ACTION
    payment = Payment.objects.get()
    assert str(payment.reference) == reference["value"] and card.pk == payment.saved_card_id
    assert (payment.status, payment.provider_status, payment.provider_id) == (
        PaymentStatus.PENDING,
        cards.REQUIRES_ACTION,
        "pi_3DS",
    )
    assert Notice.objects.filter(template="card_action_required").count() == 1
    # Stripe's payment_failed event for it changes nothing: the client was asked to confirm.
    event = {
        "id": "evt_failed",
        "type": gw.FAILED,
        "data": {"object": {"id": "pi_3DS", "amount": 1000, "currency": "usd", "status": "requires_payment_method",
                            "metadata": {"openbill_payment": reference["value"]}}},
    }  # fmt: skip
    body = json.dumps(event).encode()
    assert deliver(body, signed(body)).json() == {"result": "waiting for the client"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_card_payment_nobody_finished_expires_and_its_intent_is_cancelled(alice: Any, stripe_on: Any) -> None:
    waiting = stripe_payment(alice)
    cards.pay_with_card(waiting, now=timezone.now(), setup_intent_id=browser_sets_up_card(alice, CARD_3DS))
    untouched = stripe_payment(alice, "7.00")  # the client never entered a card
    later = timezone.now() + gw.CHECKOUT_LIFETIME + timedelta(minutes=1)
    assert actions.expire_checkouts(later - timedelta(minutes=2)) == 0
    assert actions.expire_checkouts(later) == 2
    waiting.refresh_from_db()
    untouched.refresh_from_db()
    assert waiting.status == untouched.status == PaymentStatus.FAILED
    assert gw.retrieve_intent(gw.keys_for(None), waiting.provider_id).status == "canceled"
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00") and credits(alice) == []


def test_the_low_balance_notice_says_which_card_will_pay_and_when_and_a_decline_brings_the_usual_one(
    vps_plan: Any, provider: Any, stripe_on: Any
) -> None:
    from datetime import UTC, datetime

    from openbill.services.automation.notices import plan_notices

    expires = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    five_days_before = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    carol = f.client(provider, "carol@test.test", balance="4.00")
    service = f.service(carol, vps_plan, expires_at=expires)
    saved_card(carol, CARD_DECLINED_ON_CHARGE)  # saves fine; declined when charged
    [notice] = plan_notices(five_days_before, [service.pk])
    assert (notice.template, notice.context["card_last4"], notice.context["charge_on"]) == (
        "service_autopay_notice",
        "0341",
        "2026-12-05",
    )
    sweeps.run_now(five_days_before)
    sent = Notice.objects.get(client=carol)
    subject, body = render(sent)
    assert "card ending 0341" in subject and "will be charged on 2026-12-05" in body
    assert "for 10.00 USD" in body and "(4.00 USD available)" in body
    assert not Notice.objects.filter(template="service_low_balance").exists()
    # The charge day: the card is declined, so the usual low-balance notice (and expiry) follow.
    charge_day = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert cards.run_autopay(charge_day)["declined"] == 1
    [notice] = plan_notices(charge_day, [service.pk])
    assert notice.template == "service_low_balance" and notice.context["days"] == 1
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("4.00") and credits(carol) == []
    assert list(LedgerEntry.objects.filter(client=carol).values_list("amount", flat=True)) == [Decimal("4.00")]
