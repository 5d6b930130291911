"""Paying with PayPal in a real browser. PayPal is mocked at the HTTP boundary only: a local
server answers PayPal's REST calls and serves a stand-in of PayPal's approval page; Openbill
creates the order, sends the client there, and on the way back captures the order itself (the
return proves nothing). PayPal's APPROVED webhook, delivered after, credits nothing more."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect
from pytest_httpserver import HTTPServer

from openbill.billing.models import EntryKind, LedgerEntry
from openbill.core.tests import factories as f
from openbill.payments.models import Payment, PaymentStatus
from openbill.payments.tests.paypal_helpers import WEBHOOK_ID, FakePayPal

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def test_paying_with_paypal_on_its_approval_page(
    live_server: Any, page: Page, alice: Any, alice_user: Any, settings: Any, httpserver: HTTPServer
) -> None:
    settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET = "AcLientId", "EClientSecret"
    settings.PAYPAL_WEBHOOK_ID = WEBHOOK_ID
    settings.PAYPAL_API_BASE = httpserver.url_for("").rstrip("/")
    paypal = FakePayPal(httpserver)
    paypal.hosted = True
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/finances/topup/")
    page.get_by_label("PayPal").check()
    page.get_by_label("Amount").fill("25.00")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("paypal-amount")).to_have_text("25.00 USD")  # on "PayPal"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING and paypal.orders[payment.provider_id]["capture"] is None

    page.get_by_role("button", name="Pay Now").click()
    expect(page.get_by_test_id("payment-status")).to_have_text("Received")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert paypal.orders[payment.provider_id]["capture"]["status"] == "COMPLETED"

    # PayPal's APPROVED webhook arrives after: verified, it captures nothing more.
    unit = paypal.orders[payment.provider_id]["unit"]
    event = {
        "id": "WH-APPROVED-1",
        "event_type": "CHECKOUT.ORDER.APPROVED",
        "resource_type": "checkout-order",
        "resource": {"id": payment.provider_id, "status": "APPROVED", "purchase_units": [unit]},
    }
    body, headers = paypal.webhook(event)
    sent = {name[5:].replace("_", "-"): value for name, value in headers.items()}
    answer = requests.post(
        f"{live_server.url}/pay/paypal/webhook/",
        data=body,
        headers={**sent, "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json() == {"result": "completed"}

    page.goto(f"{live_server.url}/finances/")
    expect(page.get_by_test_id("balance")).to_have_text("125 USD")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    keys = list(LedgerEntry.objects.filter(client=alice, kind=EntryKind.PAYMENT).values_list("key", "amount"))
    assert (f"payment:{payment.pk}", Decimal("25.00")) in keys and len(keys) == 2  # with the fixture's
