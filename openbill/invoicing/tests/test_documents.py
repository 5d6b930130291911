"""Invoices and credit notes: issued with the money, numbered without gaps, never changed."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from openbill.billing.actions import ledger_sum
from openbill.billing.models import EntryKind, Expense, LedgerEntry
from openbill.core.errors import DomainError
from openbill.invoicing import delivery
from openbill.invoicing.audit import run_audit
from openbill.invoicing.models import Document, DocumentKind, DocumentLine, DocumentPdf, PromoCode
from openbill.orders import actions as orders
from openbill.orders.pricing import quote_new
from openbill.payments import actions as payments
from openbill.payments.models import Payment

from .helpers import CLIENT, STAFF, VERIFIED, paid_by_bank, profile, spanish_seller


@pytest.fixture
def seller(provider: Any) -> Any:
    return spanish_seller(provider)


def pdf_text(document: Document) -> str:
    pdf = delivery.store_pdf(document, now=timezone.now())
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(bytes(pdf.content))).pages)


def test_a_payment_needs_the_billing_profile_first(seller: Any, alice: Any) -> None:
    with pytest.raises(DomainError) as caught:
        payments.start_payment(alice, method="bank", amount="10.00", actor=CLIENT, now=timezone.now(), return_url="/")
    assert caught.value.field == "billing_profile"
    assert not Payment.objects.filter(client=alice).exists()


def test_a_provider_without_legal_details_issues_nothing(alice: Any) -> None:
    paid_by_bank(alice, "10.00")
    assert not Document.objects.exists()


def test_a_top_up_is_invoiced_as_an_advance_payment_with_its_tax(seller: Any, alice: Any) -> None:
    profile(alice, "ES")
    payment = paid_by_bank(alice, "121.00")
    invoice = Document.objects.get(payment=payment)
    assert invoice.kind == DocumentKind.INVOICE
    assert invoice.number == f"{timezone.now().year}-000001"
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("100.00"),
        Decimal("21.00"),
        Decimal("121.00"),
    )
    assert invoice.tax_name == "IVA 21%"
    assert invoice.lines.get().description == f"Advance payment (payment #{payment.pk})"
    assert invoice.seller["tax_id"] == "ESB12345674" and invoice.buyer["legal_name"] == alice.name
    # The ledger took the same money: the payment's credit is the invoice's total.
    assert LedgerEntry.objects.get(key=f"payment:{payment.pk}").amount == invoice.total_amount


def test_numbers_follow_each_other_and_credit_notes_have_their_own_series(seller: Any, alice: Any, bob: Any) -> None:
    profile(alice)
    profile(bob)
    first = paid_by_bank(alice, "10.00")
    second = paid_by_bank(bob, "20.00")
    payments.refund_payment(first, amount="4.00", reason="goodwill", actor=STAFF, now=timezone.now())
    year = timezone.now().year
    numbers = list(Document.objects.order_by("pk").values_list("kind", "number"))
    assert numbers == [
        ("invoice", f"{year}-000001"),
        ("invoice", f"{year}-000002"),
        ("credit_note", f"R{year}-000001"),
    ]
    note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert note.corrects == Document.objects.get(payment=first, kind=DocumentKind.INVOICE)
    assert (note.net_amount, note.tax_amount, note.total_amount) == (
        Decimal("-3.31"),
        Decimal("-0.69"),
        Decimal("-4.00"),
    )
    assert Document.objects.get(payment=second).total_amount == Decimal("20.00")
    assert run_audit() == []


def test_a_credit_note_for_every_refund_and_the_ledger_agrees(seller: Any, alice: Any) -> None:
    profile(alice)
    payment = paid_by_bank(alice, "50.00")
    before = ledger_sum(alice)
    for amount in ("10.00", "15.00"):
        payments.refund_payment(payment, amount=amount, reason="refund", actor=STAFF, now=timezone.now())
    notes = Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).order_by("pk")
    assert [n.total_amount for n in notes] == [Decimal("-10.00"), Decimal("-15.00")]
    refunds = LedgerEntry.objects.filter(client=alice, kind=EntryKind.REFUND)
    assert sum(e.amount for e in refunds) == sum(n.total_amount for n in notes)
    alice.refresh_from_db()
    assert alice.balance_amount == ledger_sum(alice) == before - Decimal("25.00")


def test_the_database_refuses_to_change_an_issued_invoice(seller: Any, alice: Any) -> None:
    profile(alice)
    invoice = Document.objects.get(payment=paid_by_bank(alice, "10.00"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE invoicing_document SET total_amount = 1 WHERE id = %s", [invoice.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE invoicing_documentline SET net_amount = 1 WHERE document_id = %s", [invoice.pk])
    invoice.refresh_from_db()
    assert invoice.total_amount == Decimal("10.00")


def test_audit_catches_an_edited_row_and_a_broken_chain(seller: Any, alice: Any) -> None:
    profile(alice)
    paid_by_bank(alice, "10.00")
    second = Document.objects.get(payment=paid_by_bank(alice, "20.00"))
    assert run_audit() == []
    with connection.cursor() as cursor:  # behind Openbill's back, triggers dropped
        cursor.execute(
            "DROP TRIGGER invoicing_documentline_immutable"
            + (" ON invoicing_documentline" if connection.vendor == "postgresql" else "")
        )
        cursor.execute("UPDATE invoicing_documentline SET net_amount = 1 WHERE document_id = %s", [second.pk])
    problems = run_audit()
    assert any(second.number in p and "hash" in p for p in problems)


def test_audit_catches_a_gap_and_a_document_that_disagrees_with_the_ledger(seller: Any, alice: Any) -> None:
    profile(alice)
    first = Document.objects.get(payment=paid_by_bank(alice, "10.00"))
    paid_by_bank(alice, "20.00")
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER invoicing_document_immutable"
            + (" ON invoicing_document" if connection.vendor == "postgresql" else "")
        )
        cursor.execute("UPDATE invoicing_document SET sequence = 5, total_amount = 11 WHERE id = %s", [first.pk])
    problems = "\n".join(run_audit())
    assert "gap" in problems
    assert "payment" in problems and "11" in problems


def test_the_pdf_says_what_the_record_says_and_is_kept(seller: Any, alice: Any) -> None:
    profile(alice, "DE", kind="company", vat="DE136695976", status=VERIFIED)
    invoice = Document.objects.get(payment=paid_by_bank(alice, "100.00"))
    text = pdf_text(invoice)
    assert "Invoice" in text and invoice.number in text
    assert "Hosting Ibérico S.L." in text and "ESB12345674" in text and "DE136695976" in text
    assert "100.00 EUR" in text
    assert "Reverse charge" in text
    kept = DocumentPdf.objects.get(document=invoice)
    assert delivery.store_pdf(invoice, now=timezone.now()).content == kept.content
    import hashlib

    assert hashlib.sha256(bytes(kept.content)).hexdigest() == kept.sha256


def test_the_pdf_is_in_the_clients_language(seller: Any, alice: Any) -> None:
    owner = alice.memberships.get().user
    owner.language = "es"  # one language per user: the owner's is the account's mail and documents
    owner.save(update_fields=["language"])
    profile(alice)
    invoice = Document.objects.get(payment=paid_by_bank(alice, "12.10"))
    text = pdf_text(invoice)
    assert "Factura" in text and "IVA 21%" in text and "12,10 EUR" in text
    assert "Anticipo" in invoice.lines.get().description


def test_the_invoice_is_mailed_with_its_pdf(seller: Any, alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    profile(alice)
    with django_capture_on_commit_callbacks(execute=True):
        payment = paid_by_bank(alice, "10.00")
    invoice = Document.objects.get(payment=payment)
    assert delivery.deliver_document(invoice.pk, now=timezone.now()) in ("mailed", "already mailed")
    sent = [m for m in mail.outbox if invoice.number in m.subject]
    assert len(sent) == 1
    name, content, mimetype = sent[0].attachments[0]
    assert name == f"{invoice.number}.pdf" and mimetype == "application/pdf"
    assert content == bytes(DocumentPdf.objects.get(document=invoice).content)


@pytest.mark.parametrize("promo", ["", "percent", "amount"])
@pytest.mark.parametrize("gross", [False, True])
@pytest.mark.parametrize(
    ("country", "kind", "status"),
    [
        ("ES", "person", "none"),
        ("DE", "company", "valid"),
        ("DE", "person", "none"),
        ("US", "company", "none"),
        ("DE", "company", "unverified"),
    ],
)
def test_cart_order_invoice_and_ledger_agree_to_the_cent(
    provider: Any, alice: Any, vps_plan: Any, gross: bool, country: str, kind: str, status: str, promo: str
) -> None:
    spanish_seller(provider, gross=gross)
    code = ""
    if promo:
        # 12.5 % and 3.33 off: amounts that do not divide evenly, on the setup fee and the period.
        value = Decimal("12.5") if promo == "percent" else Decimal("3.33")
        code = PromoCode.objects.create(provider=provider, code="save", kind=promo, value=value).code
    profile(
        alice, country, kind=kind, vat="DE136695976" if kind == "company" and country == "DE" else "", status=status
    )
    now = timezone.now()
    quote = quote_new(alice, tariff=vps_plan.pk, period="month", promo_code=code)
    order = orders.order_now(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=now, promo_code=code)
    if promo:
        assert quote.discount is not None and quote.discount.total > 0
    assert order.total_amount == quote.total
    balance_before = alice.balance_amount
    payment = paid_by_bank(alice, f"{order.total_amount}", order=order)
    invoice = Document.objects.get(payment=payment)
    assert invoice.total_amount == quote.total == order.total_amount
    assert invoice.tax_amount == quote.tax.tax and invoice.net_amount == quote.tax.net
    lines = list(DocumentLine.objects.filter(document=invoice))
    assert [line.total_amount for line in lines] == [p.gross for p in quote.tax.parts]
    assert sum(line.discount_amount for line in lines) == (quote.discount.total if promo else 0)
    assert {line.discount_label for line in lines} == ({"SAVE"} if promo else {""})
    order.refresh_from_db()
    assert order.status == "paid"
    charged = Expense.objects.filter(client=alice).values_list("amount", flat=True)
    assert sorted(charged) == sorted(line.total_amount for line in lines)
    alice.refresh_from_db()
    assert alice.balance_amount == balance_before == ledger_sum(alice)
