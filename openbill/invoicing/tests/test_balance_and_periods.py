"""Money returned to the balance gets a credit note; a post-paid client gets its month's invoice."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pypdf
import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from openbill.billing.actions import charge_service, ledger_sum
from openbill.billing.models import EntryKind, ExpenseKind, LedgerEntry
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.domains.actions import registry_refused
from openbill.invoicing import delivery
from openbill.invoicing.audit import run_audit
from openbill.invoicing.models import Document, DocumentKind
from openbill.invoicing.sweeps import issue_period_invoices_task, preview
from openbill.orders import actions as orders
from openbill.payments.models import Payment

from .helpers import CLIENT, STAFF, paid_by_bank, profile, spanish_seller


@pytest.fixture
def seller(provider: Any) -> Any:
    return spanish_seller(provider)


def ordered_and_paid(alice: Any, vps_plan: Any) -> tuple[Any, Document]:
    """A VPS ordered and paid by transfer: setup 5.00 + month 10.00, IVA 21% → 6.05 + 12.10."""
    profile(alice, "ES")
    order = orders.order_now(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=timezone.now())
    payment = paid_by_bank(alice, f"{order.total_amount}", order=order)
    invoice = Document.objects.get(payment=payment, kind=DocumentKind.INVOICE)
    return order.lines.get().service, invoice


# --- a credit note for money returned to the balance ----------------------------------------------


def test_a_registry_refusal_returned_to_the_balance_gets_credit_notes_of_its_invoice(
    seller: Any, alice: Any, vps_plan: Any
) -> None:
    service, invoice = ordered_and_paid(alice, vps_plan)
    assert invoice.total_amount == Decimal("18.15")
    balance_before = ledger_sum(alice)
    returned = registry_refused(service, "activation", actor=STAFF, now=timezone.now())
    assert returned == Decimal("18.15")
    notes = list(Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).order_by("pk"))
    year = timezone.now().year
    assert [n.number for n in notes] == [f"R{year}-000001", f"R{year}-000002"]
    assert {n.corrects_id for n in notes} == {invoice.pk}
    assert all(n.payment_id is None and n.refund_id is None for n in notes)
    # Each charge returned is split at the invoice's 21 %: the same cents as its invoice lines.
    assert sorted((n.net_amount, n.tax_amount, n.total_amount) for n in notes) == [
        (Decimal("-10.00"), Decimal("-2.10"), Decimal("-12.10")),
        (Decimal("-5.00"), Decimal("-1.05"), Decimal("-6.05")),
    ]
    assert {(n.tax_rate, n.tax_name) for n in notes} == {(invoice.tax_rate, invoice.tax_name)}
    line = notes[0].lines.get()
    assert line.service_id == service.pk
    assert line.description == f"{service.name}: returned to the balance (invoice {invoice.number})"
    # The ledger returned the same cents to the balance.
    refunds = LedgerEntry.objects.filter(client=alice, kind=EntryKind.REFUND)
    assert sorted(e.amount for e in refunds) == sorted(-n.total_amount for n in notes)
    alice.refresh_from_db()
    assert alice.balance_amount == ledger_sum(alice) == balance_before + Decimal("18.15")
    # A second refusal returns nothing more and issues nothing more.
    assert registry_refused(service, "activation", actor=STAFF, now=timezone.now()) == 0
    assert Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 2
    assert run_audit() == []


def test_partial_returns_are_credited_at_the_invoice_rate_and_never_beyond_it(
    seller: Any, alice: Any, vps_plan: Any
) -> None:
    service, invoice = ordered_and_paid(alice, vps_plan)
    now = timezone.now()
    for key, amount in (("goodwill", "5.00"), ("more", "20.00"), ("again", "1.00")):
        charge_service(
            service,
            kind=ExpenseKind.REFUND,
            key=key,
            amount=-Decimal(amount),
            description=Text("refund_unused", name="web-1"),
            now=now,
        )
    notes = list(Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).order_by("pk"))
    # 5.00 gross at 21 %: tax round(5.00 × 21 / 121) = 0.87; then what is left of 18.15: 13.15.
    assert [(n.net_amount, n.tax_amount, n.total_amount) for n in notes] == [
        (Decimal("-4.13"), Decimal("-0.87"), Decimal("-5.00")),
        (Decimal("-10.87"), Decimal("-2.28"), Decimal("-13.15")),
    ]
    assert {n.corrects_id for n in notes} == {invoice.pk}
    assert [n.number for n in notes] == [f"R{now.year}-000001", f"R{now.year}-000002"]
    alice.refresh_from_db()
    assert alice.balance_amount == ledger_sum(alice)


def test_a_service_paid_from_a_top_up_gets_no_credit_note(seller: Any, alice: Any, vps_plan: Any) -> None:
    profile(alice, "ES")
    paid_by_bank(alice, "50.00")  # the advance payment's invoice taxed the money already
    service = f.service(alice, vps_plan)
    charge_service(service, kind=ExpenseKind.PERIOD, key="p", amount=Decimal("12.10"), description=Text("refund_unused", name="web-1"),
                   now=timezone.now())  # fmt: skip
    charge_service(service, kind=ExpenseKind.REFUND, key="r", amount=Decimal("-6.05"), description=Text("refund_unused", name="web-1"),
                   now=timezone.now())  # fmt: skip
    assert not Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()


# --- post-paid clients: an invoice at each month's end -------------------------------------------

MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def postpaid(seller: Any, alice: Any, vps_plan: Any) -> Any:
    """alice post-paid since 1 March, a VPS charged twice in March and once on 1 April."""
    with time_machine.travel(MARCH, tick=False):
        p = profile(alice, "ES")
        p.postpaid_since = date(2026, 3, 1)
        p.save()
        service = f.service(alice, vps_plan, name="web-1")
        charge = {"service": service, "description": Text("refund_unused", name="web-1"), "now": MARCH}
        charge_service(kind=ExpenseKind.SETUP, key="first", amount=Decimal("6.05"), **charge)
        charge_service(kind=ExpenseKind.PERIOD, key="march", amount=Decimal("12.10"), period_start=MARCH,
                       period_end=MARCH + timedelta(days=31), **charge)  # fmt: skip
        charge_service(kind=ExpenseKind.REFUND, key="back", amount=Decimal("-1.21"), **charge)
        charge_service(
            kind=ExpenseKind.PERIOD, key="april", amount=Decimal("12.10"),
            **{**charge, "now": datetime(2026, 4, 1, 0, 30, tzinfo=UTC)},
        )  # fmt: skip
    return service


def test_a_post_paid_month_is_invoiced_once_after_it_ends(postpaid: Any, alice: Any) -> None:
    # Still March: nothing is due; a payment of a post-paid client gets no invoice of its own.
    with time_machine.travel(datetime(2026, 3, 31, 23, 0, tzinfo=UTC), tick=False):
        assert issue_period_invoices_task.call() == []
        payment = paid_by_bank(alice, "10.00")
        assert not Document.objects.filter(payment=payment).exists()
        assert preview(timezone.now()) == []
    at = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        assert preview(at) == [f"Invoice {alice.email} for 2026-03-01 – 2026-03-31: 16.94 EUR (3 charges)"]
        numbers = issue_period_invoices_task.call()
        assert numbers == ["2026-000001"]
        assert issue_period_invoices_task.call() == []  # twice → still one invoice
        assert preview(at) == []
    invoice = Document.objects.get(kind=DocumentKind.INVOICE)
    assert invoice.key == f"period:{alice.pk}:2026-03"
    assert (invoice.issued_on, invoice.supplied_on) == (date(2026, 4, 1), date(2026, 3, 31))
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("14.00"),
        Decimal("2.94"),
        Decimal("16.94"),
    )
    lines = list(invoice.lines.order_by("position"))
    assert [(line.description, line.total_amount) for line in lines] == [
        ("web-1: Setup fee", Decimal("6.05")),
        ("web-1: Service period", Decimal("12.10")),
        ("web-1: Refund of unused period", Decimal("-1.21")),
    ]
    assert (lines[1].period_start, lines[1].period_end) == (date(2026, 3, 10), date(2026, 4, 10))
    # The invoice is the month's charges as the ledger took them.
    charges = LedgerEntry.objects.filter(client=alice, kind__in=[EntryKind.CHARGE, EntryKind.REFUND],
                                         created_at__lt=datetime(2026, 4, 1, tzinfo=UTC))  # fmt: skip
    assert -sum(e.amount for e in charges) == invoice.total_amount
    alice.refresh_from_db()
    assert alice.balance_amount == ledger_sum(alice)
    assert Payment.objects.get(pk=payment.pk).entry is not None
    text = "\n".join(
        page.extract_text()
        for page in pypdf.PdfReader(io.BytesIO(bytes(delivery.store_pdf(invoice, now=at).content))).pages
    )
    assert "2026-000001" in text and "16,94" in text.replace(".", ",")
    assert run_audit() == []


def test_a_post_paid_refund_of_an_invoiced_month_is_a_credit_note_not_a_line(postpaid: Any, alice: Any) -> None:
    with time_machine.travel(datetime(2026, 4, 1, 1, 0, tzinfo=UTC), tick=False):
        issue_period_invoices_task.call()
    march = Document.objects.get(kind=DocumentKind.INVOICE)
    # In April: the service has April's charge, not invoiced yet: the refund rides in April's invoice.
    with time_machine.travel(datetime(2026, 4, 20, tzinfo=UTC), tick=False):
        charge_service(postpaid, kind=ExpenseKind.REFUND, key="april-back", amount=Decimal("-2.42"),
                       description=Text("refund_unused", name="web-1"), now=timezone.now())  # fmt: skip
    assert not Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()
    with time_machine.travel(datetime(2026, 5, 1, 1, 0, tzinfo=UTC), tick=False):
        assert issue_period_invoices_task.call() == ["2026-000002"]
    april = Document.objects.get(key=f"period:{alice.pk}:2026-04")
    assert april.total_amount == Decimal("9.68")
    # In May, nothing charged since April's invoice: a refund corrects April's invoice.
    with time_machine.travel(datetime(2026, 5, 3, tzinfo=UTC), tick=False):
        charge_service(postpaid, kind=ExpenseKind.REFUND, key="may-back", amount=Decimal("-3.63"),
                       description=Text("refund_unused", name="web-1"), now=timezone.now())  # fmt: skip
    note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert note.corrects == april and note.total_amount == Decimal("-3.63") and march != april
    with time_machine.travel(datetime(2026, 6, 1, 1, 0, tzinfo=UTC), tick=False):
        assert issue_period_invoices_task.call() == []  # May's only movement has its credit note
    assert run_audit() == []


def test_preview_command_shows_the_period_invoice(postpaid: Any, alice: Any) -> None:
    out = io.StringIO()
    call_command("preview", "--at", "2026-04-02", stdout=out)
    assert f"Invoice {alice.email} for 2026-03-01 – 2026-03-31: 16.94 EUR (3 charges)" in out.getvalue()
    assert not Document.objects.exists()
