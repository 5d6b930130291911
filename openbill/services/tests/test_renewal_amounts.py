"""A renewal's amount: the tariff's current price for the period plus each add-on's price × its
billable quantity for that period, rounded once, half up (DESIGN.md §4). Pinned for the
"Renew cost" text, the client's Extend and the automatic renew sweep — one service at a time
(SQLite, and PostgreSQL with ``force_each``) and set-based (PostgreSQL) — with the charge, its
ledger entry and the balance.

The service's add-ons, for one month:

    tariff                                  10.00
    RAM: 3 GB, 1 included, 2.50 / GB         5.00
    IPv4: 2 addresses, 1.25 each             2.50
    OS: Windows                             15.00
    disk: 10 GB at 0.0345 / GB               0.345
    traffic: by statistics (the meter)       0
                                            -----
                                            32.845  ->  32.85 charged (half up)

For a year 100 + 50 + 25 + 150 + 3.45 = 328.45; for a day 1 + 0.17 + 0.085 + 0.50 + 0.011 =
1.766 -> 1.77.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, Expense, LedgerEntry
from openbill.catalog.models import BillingType
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import InsufficientFunds
from openbill.core.tests import factories as f
from openbill.orders.actions import extend_service
from openbill.services import sweeps
from openbill.services.automation.renew import Renew
from openbill.services.models import Service, ServiceAddon
from openbill.services.selectors import renew_cost_text, renewal_amount, with_pricing

AT = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
CLIENT = Actor("client", None, "alice")

UNROUNDED = {"day": Decimal("1.766"), "month": Decimal("32.845"), "year": Decimal("328.45")}
CHARGED = {"day": Decimal("1.77"), "month": Decimal("32.85"), "year": Decimal("328.45")}
NEXT_EXPIRY = {
    "day": lambda start: start + timedelta(days=1),
    "month": lambda start: start.replace(month=start.month + 1),
    "year": lambda start: start.replace(year=start.year + 1),
}


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(AT - timedelta(days=40), tick=False) as traveller:
        yield traveller


def _client(balance: str) -> Client:
    return f.client(f.provider(), "alice@test.test", balance=balance)


def _service(alice: Client, *, period: str, expires_at: datetime) -> Service:
    ptype = f.product_type(f.provider(), "vds")
    plan = f.tariff(ptype, "VPS-1", prices={"day": "1.00", "month": "10.00", "year": "100.00"}, setup_fee="5.00")
    ram = f.addon(plan, "ram", prices={"day": "0.085", "month": "2.50", "year": "25.00"}, included=Decimal(1))
    ipv4 = f.addon(plan, "ipv4", prices={"day": "0.0425", "month": "1.25", "year": "12.50"})
    disk = f.addon(plan, "disk", prices={"day": "0.0011", "month": "0.0345", "year": "0.345"})
    traffic = f.addon(plan, "traffic", billing_type=BillingType.STATISTICS, prices={"month": "99.00"})
    os_addon = f.enum_addon(
        plan,
        "os",
        {
            "debian": {"day": "0", "month": "0", "year": "0"},
            "windows": {"day": "0.50", "month": "15.00", "year": "150.00"},
        },
    )
    service = f.service(
        alice,
        plan,
        period=period,
        expires_at=expires_at,
        addons={ram: "3", ipv4: "2", disk: "10", traffic: "500"},
    )
    ServiceAddon.objects.create(service=service, addon=os_addon, enum_item=os_addon.items.get(code="windows"))
    return service


def _charges(service: Service) -> list[tuple[Any, ...]]:
    return list(
        Expense.objects.filter(service=service, kind="period")
        .order_by("period_start")
        .values_list("period_start", "period_end", "amount")
    )


def _entry(service: Service) -> tuple[Decimal, Decimal]:
    entry = LedgerEntry.objects.get(service=service, kind=EntryKind.CHARGE)
    return entry.amount, entry.balance_after


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["day", "month", "year"])
def test_the_renewal_price_is_the_period_price_plus_each_addon_for_the_period(period: str) -> None:
    service = _service(f.client(f.provider(), "alice@test.test"), period=period, expires_at=AT)

    priced = with_pricing(Service.objects.filter(pk=service.pk)).get()

    assert renewal_amount(priced) == UNROUNDED[period]
    suffix = {"day": "day", "month": "month", "year": "year"}[period]
    assert renew_cost_text(priced) == f"{CHARGED[period]} USD/{suffix}"


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["month", "year"])
def test_extend_charges_the_period_with_its_addons(period: str) -> None:
    alice = _client("500.00")
    expiry = AT + timedelta(days=5)
    service = _service(alice, period="month", expires_at=expiry)

    renewal = extend_service(service, period=period, actor=CLIENT, now=AT, expected_start=expiry)

    assert renewal.created
    end = NEXT_EXPIRY[period](expiry)
    assert _charges(service) == [(expiry, end, CHARGED[period])]
    assert _entry(service) == (-CHARGED[period], Decimal("500.00") - CHARGED[period])
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("500.00") - CHARGED[period]
    service.refresh_from_db()
    assert service.expires_at == end
    assert run_audit() == []


@pytest.mark.django_db
def test_extend_is_refused_when_the_balance_covers_the_tariff_but_not_its_addons() -> None:
    alice = _client("30.00")  # the tariff alone (10.00) fits, with the add-ons (32.85) it does not
    expiry = AT + timedelta(days=5)
    service = _service(alice, period="month", expires_at=expiry)

    with pytest.raises(InsufficientFunds) as refused:
        extend_service(service, period="month", actor=CLIENT, now=AT, expected_start=expiry)

    assert refused.value.details["amount"] == "32.85"
    assert _charges(service) == []
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("30.00")


PATHS = [
    pytest.param("each", id="one-by-one"),
    pytest.param("set", id="set-based", marks=pytest.mark.postgres),
]


def _sweep(path: str, at: datetime) -> dict[str, Any]:
    Renew.force_each = path == "each"  # type: ignore[attr-defined]
    try:
        return sweeps.run_now(at)
    finally:
        Renew.force_each = False  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("period", ["day", "month", "year"])
def test_the_renew_sweep_charges_the_period_with_its_addons(path: str, period: str) -> None:
    alice = _client("500.00")
    due = AT + timedelta(hours=15) if period != "day" else AT + timedelta(hours=10)
    service = _service(alice, period=period, expires_at=due)

    result = _sweep(path, AT)

    assert result["renew"]["renewed"] == 1
    end = NEXT_EXPIRY[period](due)
    assert _charges(service) == [(due, end, CHARGED[period])]
    assert _entry(service) == (-CHARGED[period], Decimal("500.00") - CHARGED[period])
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("500.00") - CHARGED[period]
    service.refresh_from_db()
    assert service.expires_at == end
    assert run_audit() == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_the_renew_sweep_does_not_renew_when_the_balance_covers_only_the_tariff(path: str) -> None:
    alice = _client("30.00")
    due = AT + timedelta(hours=15)
    service = _service(alice, period="month", expires_at=due)

    result = _sweep(path, AT)

    assert result["renew"]["failed_ids"] == [service.pk]
    assert _charges(service) == []
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("30.00")
    service.refresh_from_db()
    assert service.expires_at == due
