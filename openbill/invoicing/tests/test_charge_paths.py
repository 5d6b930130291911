"""Every path that charges a taxed client takes the price with its tax, and what is announced is
what is then charged: overage increments, domain orders (with their invoice), renewals announced
by the low-balance notice and ``openbill preview``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from openbill.billing.actions import ledger_sum, post_entry
from openbill.billing.models import EntryKind, Expense, ExpenseKind, LedgerEntry
from openbill.core.models import Notice
from openbill.core.money import MONEY_KEY
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.domains.actions import create_contact, order_domain
from openbill.domains.tests.conftest import make_zone
from openbill.invoicing.models import Document, DocumentLine, PromoCode, PromoUse
from openbill.metering import actions as metering
from openbill.metering.models import OverageRating
from openbill.metering.tests.factories import ingest, record, traffic
from openbill.orders import actions as orders
from openbill.services import sweeps
from openbill.services.automation.preview import build_preview

from .helpers import CLIENT, VERIFIED, paid_by_bank, profile, spanish_seller

pytestmark = pytest.mark.django_db

BUYERS = {
    # seller's prices, buyer: (country, kind, VAT number, status)
    "domestic, net prices": (False, ("ES", "person", "", "none")),
    "domestic, gross prices": (True, ("ES", "person", "", "none")),
    "EU company, reverse charge": (False, ("DE", "company", "DE136695976", VERIFIED)),
}


def taxed(provider: Any, client: Any, case: str) -> None:
    gross, (country, kind, vat, status) = BUYERS[case]
    spanish_seller(provider, gross=gross)
    profile(client, country, kind=kind, vat=vat, status=status)


def balance(client: Any) -> Decimal:
    client.refresh_from_db()
    return Decimal(client.balance_amount)


@pytest.mark.parametrize(
    ("case", "charges"),
    [
        # 250 GiB over at 0.01 = 2.50 net + 21 % (0.525 → 0.53); then 3.51 rated: 1.01 more + 0.21
        ("domestic, net prices", ["3.03", "1.22"]),
        ("domestic, gross prices", ["2.50", "1.01"]),
        ("EU company, reverse charge", ["2.50", "1.01"]),
    ],
)
def test_overage_is_charged_with_the_clients_tax(
    provider: Any, vps_plan: Any, alice: Any, case: str, charges: list[str]
) -> None:
    taxed(provider, alice, case)
    traffic(vps_plan, maximum=None)
    server = f.service(alice, vps_plan, name="Alice VPS")
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    day = datetime(2026, 3, 5, tzinfo=UTC)
    ingest(provider, [record(server, "rx_bytes", day, "1250")], now)
    metering.meter(now=now)
    ingest(provider, [record(server, "tx_bytes", day + timedelta(days=1), "100.5")], now + timedelta(hours=1))
    metering.meter(now=now + timedelta(hours=1))
    metering.meter(now=now + timedelta(hours=2))  # nothing more

    expenses = list(Expense.objects.filter(service=server, kind=ExpenseKind.OVERAGE).order_by("pk"))
    assert [f"{e.amount:.2f}" for e in expenses] == charges
    assert [-e.entry.amount for e in expenses] == [e.amount for e in expenses]  # type: ignore[union-attr]
    # What is rated (and compared with new usage) stays net: nothing more is due.
    rated = OverageRating.objects.get(service=server)
    assert (rated.cost_amount, rated.charged_amount, rated.due) == (Decimal("3.51"), Decimal("3.51"), False)
    assert balance(alice) == Decimal("100.00") - sum(Decimal(c) for c in charges) == ledger_sum(alice)


@pytest.mark.parametrize(
    ("case", "line"),
    [
        # (net, tax, total) of the 1-year registration at 10.00
        ("domestic, net prices", ("10.00", "2.10", "12.10")),
        ("domestic, gross prices", ("8.26", "1.74", "10.00")),
        ("EU company, reverse charge", ("10.00", "0.00", "10.00")),
    ],
)
def test_a_domain_order_is_charged_and_invoiced_with_its_tax(
    provider: Any, alice: Any, case: str, line: tuple[str, str, str]
) -> None:
    taxed(provider, alice, case)
    make_zone(provider, "test")  # register 10.00, transfer 8.00, renew 12.00 a year
    owner = create_contact(
        alice,
        {
            "kind": "person",
            "name": "Alice Liddell",
            "street": "1 Rabbit Hole",
            "city": "Oxford",
            "postcode": "OX1 1AA",
            "country": "gb",
            "phone": "+44.1865000000",
            "email": "alice@test.test",
        },
    )
    now = datetime.now(UTC)
    cart_line = order_domain(
        alice, name="alice.test", action="register", years=1, contacts={"owner": owner.pk}, actor=CLIENT, now=now
    )
    net, tax, total = (Decimal(v) for v in line)
    assert cart_line.amount == total
    order = orders.checkout(alice, actor=CLIENT, now=now)
    assert order.total_amount == total
    before = balance(alice)
    payment = paid_by_bank(alice, f"{total}", order=order)

    invoice = Document.objects.get(payment=payment)
    rows = list(DocumentLine.objects.filter(document=invoice))
    assert [(r.net_amount, r.tax_amount, r.total_amount) for r in rows] == [(net, tax, total)]
    assert rows[0].description == "alice.test: registration for 1 year"
    charged = Expense.objects.get(service=cart_line.service)
    assert (charged.kind, charged.amount) == (ExpenseKind.PERIOD, total)
    assert charged.entry is not None and charged.entry.amount == -total
    assert balance(alice) == before == ledger_sum(alice)  # the payment paid exactly the order


def test_preview_notice_and_renewal_charge_agree_for_a_taxed_client(provider: Any, vps_plan: Any, alice: Any) -> None:
    """A renewal of 10.00 with a recurring 10 % code and 21 % tax: 9.00 + 1.89 = 10.89. The
    low-balance notice five days before, ``openbill preview`` and the sweep's ledger charge all
    say 10.89 (the catalog price, 10.00, would leave a 10.50 balance "enough" and announce 10.00)."""
    spanish_seller(provider)
    profile(alice)
    renew_at = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
    expiry = renew_at + timedelta(hours=12)
    warn_at = expiry - timedelta(days=5)
    with time_machine.travel(warn_at - timedelta(days=20), tick=False):
        service = f.service(alice, vps_plan, expires_at=expiry, name="taxed VPS")
        code = PromoCode.objects.create(provider=provider, code="ALWAYS", kind="percent", value=10, scope="every")
        PromoUse.objects.create(promo=code, client=alice, service=service, used_at=warn_at - timedelta(days=20))
        post_entry(
            alice,
            amount=Decimal("10.50") - balance(alice),
            kind=EntryKind.CORRECTION,
            key="to-10.50",
            description=Text.verbatim("to 10.50"),
            now=warn_at - timedelta(days=20),
        )

    with time_machine.travel(warn_at, tick=False):
        sweeps.run_now(warn_at)
    notice = Notice.objects.get(client=alice, template="service_low_balance")
    notice_amount = Decimal(notice.context["amount"][MONEY_KEY])

    with time_machine.travel(warn_at + timedelta(days=1), tick=False):
        post_entry(
            alice,
            amount=Decimal("5.00"),
            kind=EntryKind.PAYMENT,
            key="top-up",
            description=Text.verbatim("top-up"),
            now=warn_at + timedelta(days=1),
        )
    previewed = {d.service_id: d.amount for c in build_preview(renew_at).clients.values() for d in c.renewals}
    out = StringIO()
    call_command("preview", "--at", renew_at.isoformat(), "--json", stdout=out)
    printed = {r["service"]: Decimal(r["amount"]) for c in json.loads(out.getvalue())["clients"] for r in c["renewals"]}

    with time_machine.travel(renew_at, tick=False):
        sweeps.run_now(renew_at)
    entry = LedgerEntry.objects.get(client=alice, service=service, kind=EntryKind.CHARGE)

    assert notice_amount == previewed[service.pk] == printed[service.pk] == -entry.amount == Decimal("10.89")
    renewed = Notice.objects.get(client=alice, template="service_renewed")
    assert Decimal(renewed.context["amount"][MONEY_KEY]) == Decimal("10.89")
    assert balance(alice) == Decimal("15.50") - Decimal("10.89") == ledger_sum(alice)


@pytest.mark.parametrize("case", list(BUYERS))
def test_extend_quotes_what_the_renewal_charges_and_the_batch_agrees(
    provider: Any, vps_plan: Any, alice: Any, case: str
) -> None:
    """Extend's price, the notices' and preview's batch (renewal_charges) and renew_service's
    charge are one rule: a renewals-only code (1 renewal, 12.5 %) then the tax."""
    from zoneinfo import ZoneInfo

    from openbill.invoicing.selectors import renewal_charge, renewal_charges
    from openbill.orders.selectors import extension_quote
    from openbill.services.renewal import renew_service

    taxed(provider, alice, case)
    now = datetime.now(UTC)
    service = f.service(alice, vps_plan, expires_at=now + timedelta(days=2), name="VPS")
    code = PromoCode.objects.create(
        provider=provider, code="ONCE", kind="percent", value=Decimal("12.5"), scope="renewals", renewals=1
    )
    PromoUse.objects.create(promo=code, client=alice, service=service, used_at=now)
    seen = []
    for _ in range(2):  # the discounted renewal, then the full price
        quoted = extension_quote(service, "month", now=now, tz=ZoneInfo("UTC")).amount
        batch = renewal_charges([(service.pk, alice.pk, Decimal("10.00"))], now=now)[service.pk]
        assert quoted == batch == renewal_charge(service, Decimal("10.00"), now=now)
        charged = renew_service(service, actor=CLIENT, now=now, period="month").expense.amount
        assert charged == quoted
        seen.append(f"{charged:.2f}")
        service.refresh_from_db()
    # 10.00 − 1.25 = 8.75 (+ 21 %: 1.8375 → 1.84); then 10.00 (+ 2.10)
    expected = {
        "domestic, net prices": ["10.59", "12.10"],
        "domestic, gross prices": ["8.75", "10.00"],
        "EU company, reverse charge": ["8.75", "10.00"],
    }
    assert seen == expected[case]


def test_extend_shows_net_tax_and_total_on_the_page_and_in_the_api(
    provider: Any, vps_plan: Any, alice: Any, alice_user: Any, client: Any
) -> None:
    """Extend is priced like every sale before the client pays: net, the tax by its name, total
    (10.00 + IVA 21 % 2.10 = 12.10), on the page and in the renew quote; then 12.10 is charged."""
    from openbill.api.tests.conftest import token_client

    taxed(provider, alice, "domestic, net prices")
    now = datetime.now(UTC)
    service = f.service(alice, vps_plan, expires_at=now + timedelta(days=2), name="VPS")
    post_entry(
        alice,
        amount=Decimal("50.00"),
        kind=EntryKind.CORRECTION,
        key="extend-50",
        description=Text.verbatim("50"),
        now=now,
    )

    quote = token_client(alice_user).post(
        f"/api/v1/services/{service.pk}/renew/quote/", {"period": "month"}, format="json"
    )
    assert quote.status_code == 200, quote.content
    body = quote.json()
    assert (body["net"], body["tax"], body["tax_name"], body["amount"]) == ("10.00", "2.10", "IVA 21%", "12.10")

    client.force_login(alice_user)
    page = client.get(f"/services/{service.pk}/extend/").content.decode()
    assert 'data-testid="extend-tax-month">Net 10.00 EUR + IVA 21% 2.10 EUR<' in page
    assert "12.10 EUR" in page

    before = balance(alice)
    response = client.post(f"/services/{service.pk}/extend/", {"period": "month"})
    assert response.status_code == 302
    charged = Expense.objects.get(service=service, kind=ExpenseKind.PERIOD)
    assert (
        charged.amount == Decimal("12.10") and charged.entry is not None and charged.entry.amount == Decimal("-12.10")
    )
    assert balance(alice) == before - Decimal("12.10") == ledger_sum(alice)
