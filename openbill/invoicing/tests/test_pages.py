"""Invoices where clients and staff look for them: Finances, Profile, the API, staff pages."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openbill.core.tests import factories as f
from openbill.invoicing.models import BillingProfile, Document, DocumentPdf, VatStatus
from openbill.orders import actions as orders

from .helpers import CLIENT, paid_by_bank, profile, spanish_seller


@pytest.fixture
def seller(provider: Any) -> Any:
    return spanish_seller(provider)


def test_the_client_fills_in_billing_details_and_a_bad_vat_number_is_refused_at_once(
    seller: Any, alice: Any, alice_http: HttpClient, django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("clientarea:billing_profile")
    assert alice_http.get(url).status_code == 200
    bad = {
        "kind": "company",
        "legal_name": "Alice GmbH",
        "address": "Hauptstr. 1",
        "country": "DE",
        "vat_number": "DE123",
    }
    response = alice_http.post(url, bad)
    assert response.status_code == 400 and "not a valid VAT number" in response.content.decode()
    assert not BillingProfile.objects.filter(client=alice).exists()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = alice_http.post(url, {**bad, "vat_number": "DE 136 695 976"})
    assert response.status_code == 302
    saved = BillingProfile.objects.get(client=alice)
    assert (saved.vat_number, saved.vat_status) == ("DE136695976", VatStatus.UNVERIFIED)
    assert len(queued) == 1  # the VIES check, after commit
    assert "Not yet verified" in alice_http.get(url).content.decode()


def test_top_up_asks_for_billing_details_first(seller: Any, alice: Any, alice_http: HttpClient) -> None:
    page = alice_http.get(reverse("clientarea:topup")).content.decode()
    assert reverse("clientarea:billing_profile") in page
    response = alice_http.post(reverse("clientarea:topup"), {"method": "bank", "amount": "10.00", "request_key": "k1"})
    assert response.status_code == 200 and "billing details" in response.content.decode()
    profile(alice)
    page = alice_http.get(reverse("clientarea:topup")).content.decode()
    assert "IVA 21%" in page


def test_finances_lists_invoices_and_the_pdf_is_the_kept_bytes(seller: Any, alice: Any, alice_http: HttpClient) -> None:
    profile(alice)
    invoice = Document.objects.get(payment=paid_by_bank(alice, "12.10"))
    page = alice_http.get(reverse("clientarea:invoices")).content.decode()
    assert invoice.number in page and "12.10 EUR" in page and "2.10 EUR" in page
    first = alice_http.get(reverse("clientarea:invoice_pdf", args=[invoice.pk]))
    assert first["Content-Type"] == "application/pdf"
    second = alice_http.get(reverse("clientarea:invoice_pdf", args=[invoice.pk]))
    assert first.content == second.content == bytes(DocumentPdf.objects.get(document=invoice).content)


def test_a_pending_order_has_a_proforma_that_is_not_an_invoice(
    seller: Any, alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    profile(alice)
    order = orders.order_now(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=timezone.now())
    assert (
        reverse("clientarea:order_proforma", args=[order.pk])
        in alice_http.get(reverse("clientarea:orders")).content.decode()
    )
    response = alice_http.get(reverse("clientarea:order_proforma", args=[order.pk]))
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "Proforma" in text and "not an invoice" in text
    assert f"{order.total_amount:.2f} EUR" in text  # 5.00 + 10.00 with IVA 21% = 18.15
    assert order.total_amount == Decimal("18.15")
    assert not Document.objects.exists()


def test_the_order_form_shows_net_tax_and_total(seller: Any, alice: Any, alice_http: HttpClient, vps_type: Any) -> None:
    plan = f.tariff(vps_type, "Small", prices={"month": "10.00"}, setup_fee="5.00")
    profile(alice)
    page = alice_http.get(reverse("clientarea:order_new", args=[plan.pk])).content.decode()
    assert "15.00 EUR" in page and "3.15 EUR" in page and "18.15 EUR" in page and "IVA 21%" in page


def test_the_api_lists_invoices_their_details_and_pdf(seller: Any, alice: Any, alice_api: Any, bob: Any) -> None:
    profile(alice)
    profile(bob)
    invoice = Document.objects.get(payment=paid_by_bank(alice, "12.10"))
    bobs = Document.objects.get(payment=paid_by_bank(bob, "5.00"))
    listed = alice_api.get("/api/v1/invoices/").json()
    assert [row["number"] for row in listed["results"]] == [invoice.number]
    detail = alice_api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (detail["net"], detail["tax"], detail["total"], detail["tax_name"]) == ("10.00", "2.10", "12.10", "IVA 21%")
    assert detail["lines"][0]["total"] == "12.10"
    pdf = alice_api.get(f"/api/v1/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert alice_api.get(f"/api/v1/invoices/{bobs.pk}/").status_code == 404
    assert alice_api.get(f"/api/v1/invoices/{bobs.pk}/pdf/").status_code == 404


def test_the_api_keeps_the_billing_profile(seller: Any, alice: Any, alice_api: Any) -> None:
    assert alice_api.get("/api/v1/billing-profile/").status_code == 404
    body = {"kind": "company", "legal_name": "Alice SARL", "address": "1 rue", "country": "FR", "vat_number": "FR00"}
    refused = alice_api.put("/api/v1/billing-profile/", body, format="json")
    assert refused.status_code == 400 and "vat_number" in str(refused.json())
    saved = alice_api.put("/api/v1/billing-profile/", {**body, "vat_number": ""}, format="json")
    assert saved.status_code == 200 and saved.json()["vat_status"] == "none"
    assert alice_api.get("/api/v1/billing-profile/").json()["legal_name"] == "Alice SARL"


def test_staff_filter_export_and_report(seller: Any, alice: Any, bob: Any, staff: Any) -> None:
    profile(alice, "ES")
    profile(bob, "DE", kind="company", vat="DE136695976", status=VatStatus.VALID)
    paid_by_bank(alice, "121.00")
    paid_by_bank(alice, "12.10")
    paid_by_bank(bob, "50.00")
    http = HttpClient()
    http.force_login(staff)
    page = http.get(reverse("staff:invoicing_documents"), {"country": "DE"}).content.decode()
    assert "DE136695976" in page and alice.name not in page
    exported = http.get(reverse("staff:invoicing_documents_csv"), {"rate": "21"}).content.decode()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert sorted(row["total"] for row in rows) == ["12.10", "121.00"]
    report = http.get(reverse("staff:invoicing_tax_report")).content.decode()
    assert "110.00 EUR" in report and "23.10 EUR" in report  # ES 21%: net and tax of both
    assert "50.00 EUR" in report  # the reverse charge to DE, untaxed
