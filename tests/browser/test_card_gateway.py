"""The card gateway round trip in a real browser: Openbill sends alice to the hosted checkout
page, the provider's server notifies Openbill over real HTTP, and a replayed or forged
notification credits nothing more."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.tests import factories as f
from openbill.payments.gateways import card
from openbill.payments.models import Payment, PaymentEvent, PaymentStatus

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def test_card_top_up_round_trip_with_a_replayed_notification(
    live_server: Any, page: Page, alice: Any, alice_user: Any
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Top up 25.00 by card: Openbill sends alice to the provider's hosted page.
    page.goto(f"{live_server.url}/finances/topup/")
    page.get_by_label("Card").check()
    page.get_by_label("Amount").fill("25.00")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/pay/card/checkout/{page.url.rsplit('/checkout/', 1)[1]}")
    expect(page.get_by_test_id("amount")).to_have_text("25.00 USD")

    # Paying there makes the provider POST a signed notification to Openbill's callback.
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay 25.00 USD").click()
    expect(page.get_by_text("The payment is credited as soon as the card provider confirms it.")).to_be_visible()
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.COMPLETED
    page.goto(f"{live_server.url}/finances/")
    expect(page.get_by_test_id("balance")).to_have_text("125 USD")

    # The same notification replayed later (same event id, freshly signed) credits nothing more.
    event = PaymentEvent.objects.get()
    body = json.dumps(event.payload, sort_keys=True).encode()
    url = f"{live_server.url}/pay/card/notify/"
    for _ in range(3):
        replay = requests.post(
            url, data=body, headers={card.SIGNATURE_HEADER: card.sign(body, int(time.time())), "Content-Type": "application/json"}, timeout=10
        )
        assert replay.status_code == 200
        assert replay.json() == {"result": "duplicate"}

    # A forged one (a new event id, signed with the wrong secret) is refused.
    forged = json.dumps({**event.payload, "id": "evt_forged"}, sort_keys=True).encode()
    refused = requests.post(url, data=forged, headers={card.SIGNATURE_HEADER: "t=1,v1=" + "0" * 64}, timeout=10)
    assert refused.status_code == 400

    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    assert LedgerEntry.objects.filter(client=alice, kind=EntryKind.PAYMENT).count() == 2  # fixture + card
    page.reload()
    expect(page.get_by_test_id("balance")).to_have_text("125 USD")
