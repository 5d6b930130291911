"""Paying by card through Stripe in a real browser, against localstripe: its stand-in for
Stripe.js takes the card (the number goes to "Stripe", never to Openbill), Openbill charges the
card, and localstripe's signed webhook reaches Openbill over real HTTP. Then a card that asks
for 3-D Secure: the payment waits until the client confirms it in Stripe.js."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.tests import factories as f
from openbill.payments.models import Payment, PaymentStatus, SavedCard
from openbill.payments.tests.stripe_helpers import CARD_3DS, CARD_OK, WEBHOOK_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def _type_card(page: Page, number: str) -> None:
    card = page.get_by_test_id("card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("28001")


def _top_up(page: Page, base: str, amount: str) -> None:
    page.goto(f"{base}/finances/topup/")
    page.get_by_label("Card (Stripe)").check()
    page.get_by_label("Amount").fill(amount)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()


def test_paying_by_card_with_stripe_js_then_3d_secure(
    live_server: Any, page: Page, alice: Any, alice_user: Any, stripe_on: Any
) -> None:
    stripe_on.register_webhook(f"{live_server.url}/pay/stripe/webhook/", WEBHOOK_SECRET)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # A new card, saved for renewals: credited from Stripe's answer, the webhook adds nothing.
    _top_up(page, live_server.url, "25.00")
    _type_card(page, CARD_OK)
    page.get_by_label("Save this card").check()
    page.get_by_test_id("pay-card").click()
    expect(page.get_by_test_id("payment-status")).to_have_text("Received")
    first = Payment.objects.get()
    assert first.status == PaymentStatus.COMPLETED
    assert SavedCard.objects.get().last4 == "4242"

    # A card whose bank asks for 3-D Secure (when saved, then when charged): pending until confirmed.
    _top_up(page, live_server.url, "30.00")
    _type_card(page, CARD_3DS)
    page.get_by_test_id("pay-card").click()
    page.get_by_role("button", name="Complete authentication").click()  # Stripe.js's dialog (setup)
    expect(page.get_by_role("button", name="Confirm the payment")).to_be_visible()
    second = Payment.objects.exclude(pk=first.pk).get()
    assert second.status == PaymentStatus.PENDING
    page.get_by_role("button", name="Confirm the payment").click()
    page.get_by_role("button", name="Complete authentication").click()  # Stripe.js's dialog (payment)
    expect(page.get_by_test_id("payment-status")).to_have_text("Received")

    page.goto(f"{live_server.url}/finances/")
    expect(page.get_by_test_id("balance")).to_have_text("155 USD")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("155.00")
    keys = set(LedgerEntry.objects.filter(client=alice, kind=EntryKind.PAYMENT).values_list("key", flat=True))
    assert {f"payment:{first.pk}", f"payment:{second.pk}"} <= keys and len(keys) == 3  # with the fixture's

    # Finances → Payment methods shows the saved card.
    page.goto(f"{live_server.url}/finances/payment-methods/")
    expect(page.get_by_test_id("saved-cards")).to_contain_text("4242")
