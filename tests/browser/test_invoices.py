"""Invoices in a real browser: alice pays an order by card, finds its invoice under Finances →
Invoices and downloads the PDF, whose text says what the record says; staff read the tax
report with the sale in it."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from openbill.billing.actions import post_entry
from openbill.billing.models import EntryKind
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.invoicing.models import Document, DocumentKind
from openbill.invoicing.tests.helpers import profile, spanish_seller
from openbill.orders.models import Order, OrderStatus
from openbill.payments.models import Payment

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_alice_pays_an_order_downloads_its_invoice_and_staff_read_the_tax_report(
    live_server: Any, page: Page, browser: Browser, provider: Any, vps_plan: Any, alice: Any, alice_user: Any,
    staff: Any, tmp_path: Any,
) -> None:  # fmt: skip
    spanish_seller(provider)
    profile(alice, "ES")
    # Her 100.00 spent elsewhere: the order must be paid with new money.
    post_entry(alice, amount=-alice.balance_amount, kind=EntryKind.CHARGE, key="test:spent",
               description=Text.verbatim("Spent"), now=timezone.now())  # fmt: skip
    log_in(page, live_server.url, alice_user.email)

    # A VPS for a month: 10.00 + 5.00 setup, IVA 21 % → 18.15 EUR.
    page.goto(f"{live_server.url}/order/")
    page.get_by_role("link", name="Order VPS-1").click()
    page.get_by_label("Month", exact=False).first.check()
    page.get_by_role("button", name="Pay", exact=True).click()
    # The balance does not cover it: the top-up form, for this order, by card.
    expect(page.get_by_text("18.15 EUR is missing.")).to_be_visible()
    page.get_by_label("Card").check()
    expect(page.get_by_label("Amount")).to_have_value("18.15")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay 18.15 EUR").click()
    expect(page.get_by_text("The payment is credited as soon as the card provider confirms it.")).to_be_visible()
    payment = Payment.objects.get(client=alice)
    assert payment.amount == Decimal("18.15")
    assert Order.objects.get(client=alice).status == OrderStatus.PAID
    invoice = Document.objects.get(payment=payment, kind=DocumentKind.INVOICE)
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("15.00"),
        Decimal("3.15"),
        Decimal("18.15"),
    )

    # Finances → Invoices: the invoice, with its number and amounts.
    page.goto(f"{live_server.url}/finances/")
    page.get_by_test_id("invoices-link").click()
    row = page.get_by_test_id("invoices").locator("tbody tr", has_text=invoice.number)
    expect(row).to_contain_text("15.00 EUR")
    expect(row).to_contain_text("3.15 EUR")
    expect(row).to_contain_text("18.15 EUR")
    expect(row).to_contain_text("IVA 21%")

    # The PDF: the same bytes as kept at issue, its text the record's.
    with page.expect_download() as caught:
        row.get_by_role("link", name="PDF").click()
    saved = tmp_path / "invoice.pdf"
    caught.value.save_as(saved)
    content = saved.read_bytes()
    invoice.refresh_from_db()
    assert hashlib.sha256(content).hexdigest() == invoice.pdf.sha256
    text = " ".join(page_.extract_text() for page_ in pypdf.PdfReader(io.BytesIO(content)).pages)
    for expected in (invoice.number, "Hosting Ibérico S.L.", "ESB12345674", alice.name, "IVA 21%"):
        assert expected in text, expected
    for amount in ("15.00", "3.15", "18.15"):
        assert amount in text, amount

    # Staff: the tax report for the period has the sale, by country and rate.
    staff_page = browser.new_page()
    log_in(staff_page, live_server.url, staff.email)
    today = timezone.now().date().isoformat()
    staff_page.goto(f"{live_server.url}/staff/invoicing/tax-report/?since={today}&until={today}")
    report = staff_page.get_by_test_id("tax-report").locator("tbody tr", has_text="IVA 21%")
    expect(report).to_contain_text("ES")
    expect(report).to_contain_text("15.00 EUR")
    expect(report).to_contain_text("3.15 EUR")
    expect(report).to_contain_text("18.15 EUR")
    staff_page.close()
