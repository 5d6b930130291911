"""Extending and changing a service: the exact amounts, to the cent (pricing's rule)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition, InsufficientFunds
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.orders import actions
from openbill.orders.pricing import quote_change
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service, ServiceEvent
from openbill.services.selectors import with_pricing

ALICE = Actor("client", None, "alice")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def priced(service: Service) -> Service:
    return with_pricing(Service.objects.filter(pk=service.pk)).get()


def vps(
    alice: Any, catalog: Any, *, expires: str, period: str = "month", ram: str = "2", paid: bool = False
) -> Service:
    service = f.service(alice, catalog["plan"], period=period, expires_at=at(expires), addons={catalog["ram"]: ram})
    if paid:
        pay_last_period(service)
    return service


def pay_last_period(service: Service) -> None:
    """The period that ends at the expiry, charged at the catalog's price with its parts (as a
    renewal without tax does)."""
    from openbill.billing.actions import charge_service
    from openbill.billing.models import ExpenseKind
    from openbill.core.money import round_amount
    from openbill.core.timeutil import add_period
    from openbill.services.selectors import renewal_amount, renewal_components

    assert service.expires_at is not None
    start = add_period(service.expires_at, service.period, service.client.provider.tz, count=-1)
    amount = renewal_amount(priced(service), service.period)
    assert amount is not None
    amount = round_amount(amount, service.client.currency)
    charge_service(
        service,
        kind=ExpenseKind.PERIOD,
        key=start.isoformat(),
        amount=amount,
        description=Text.verbatim("period"),
        now=start,
        period_start=start,
        period_end=service.expires_at,
        # What it paid for each part (as renew_service and the renew sweep write it).
        components=renewal_components(priced(service), service.period, amount),
    )


# RAM costs 2.00 a month, 20.00 a year, per GiB; one GiB is included; the tariff 10.00 a month,
# 500.00 a year. A change costs value(new) − value(old), each value rounded once: so changing
# back and forth at one moment nets to exactly zero (it may differ by a cent from the rounded
# price of the added GiB alone).
@pytest.mark.parametrize(
    ("expires", "now", "period", "ram", "expected"),
    [
        # 31 March − 1 month = 29 February (leap year): 31 days; 15 left →
        # 16.00 × 15/31 = 7.74 − 12.00 × 15/31 = 5.81
        ("2024-03-31T00:00", "2024-03-16T00:00", "month", "4", "1.93"),
        # the same change down: the unused part is credited
        ("2024-03-31T00:00", "2024-03-16T00:00", "month", "1", "-0.97"),
        # February of a leap year: 29 days; 15 left → 4 × 15/29 = 2.0689…
        ("2024-03-01T00:00", "2024-02-15T00:00", "month", "4", "2.07"),
        # February of a common year: 28 days; 14 left → exactly half
        ("2023-03-01T00:00", "2023-02-15T00:00", "month", "4", "2.00"),
        # on the last day, 12 hours before expiry: 16.00 × 0.5/31 = 0.26 − 12.00 × 0.5/31 = 0.19
        ("2024-01-31T00:00", "2024-01-30T12:00", "month", "4", "0.07"),
        # a month that ends on the 29th by clamping: 29 Jan → 29 Feb = 31 days; one left
        ("2024-02-29T00:00", "2024-02-28T00:00", "month", "4", "0.13"),
        # a leap year: 366 days, 184 left → 2 × 20.00 × 184/366 = 20.1092…
        ("2025-01-01T00:00", "2024-07-01T00:00", "year", "4", "20.11"),
        # a common year: 365 days, half a year (182.5 days) left → 2 × 20.00 / 2
        ("2026-01-01T00:00", "2025-07-02T12:00", "year", "4", "20.00"),
        # two months prepaid: the share exceeds one (76 days over a 31-day period)
        ("2024-05-31T00:00", "2024-03-16T00:00", "month", "4", "9.81"),
        # half up: 14.00 × 46.5 h / 744 h = 0.875 exactly → 0.88 (not banker's 0.87), − 0.75
        ("2024-01-17T00:00", "2024-01-15T01:30", "month", "3", "0.13"),
        # 46 h left: 14.00 × 46/744 = 0.87 − 12.00 × 46/744 = 0.74
        ("2024-01-17T00:00", "2024-01-15T02:00", "month", "3", "0.13"),
    ],
)
def test_add_on_changes_are_prorated_to_the_cent(
    alice: Any, vps_catalog: Any, expires: str, now: str, period: str, ram: str, expected: str
) -> None:
    # A credit is capped at what was paid: the downgrade's period is paid first.
    service = vps(alice, vps_catalog, expires=expires, period=period, paid=expected.startswith("-"))
    quote = quote_change(priced(service), now=at(now), addons={"ram": ram})
    assert quote.total == Decimal(expected)


@pytest.mark.parametrize(
    ("expires", "now", "credit", "charge"),
    [
        # 15/31 of a month: old 10.00 + 1 GiB × 2.00 = 12.00 → 5.81; new 20.00 + 1 GiB × 3.00 → 11.13
        ("2024-03-31T00:00", "2024-03-16T00:00", "-5.81", "11.13"),
        # 14/28 of February 2023: 6.00 and 11.50
        ("2023-03-01T00:00", "2023-02-15T00:00", "-6.00", "11.50"),
        # the last day, an hour left of 31 days
        ("2024-01-31T00:00", "2024-01-30T23:00", "-0.02", "0.03"),
    ],
)
def test_a_tariff_change_credits_the_old_remainder_and_charges_the_new(
    alice: Any, vps_catalog: Any, expires: str, now: str, credit: str, charge: str
) -> None:
    bigger = f.tariff(vps_catalog["plan"].product_type, "VPS-2", prices={"month": "20.00", "year": "200.00"})
    f.addon(bigger, "ram", prices={"month": "3.00"}, included=1, minimum=1, maximum=32)
    vps_catalog["plan"].changeable_to.add(bigger)
    service = vps(alice, vps_catalog, expires=expires, paid=True)
    quote = quote_change(priced(service), now=at(now), tariff=bigger.pk)
    assert [(line.suffix, line.amount) for line in quote.lines] == [
        ("credit", Decimal(credit)),
        ("charge", Decimal(charge)),
    ]


def test_a_change_is_charged_once_keeps_the_expiry_and_goes_to_the_module(alice: Any, vps_catalog: Any) -> None:
    service = vps(alice, vps_catalog, expires="2024-03-31T00:00")
    line = actions.change_service(
        service, actor=ALICE, now=at("2024-03-16T00:00"), addons={"ram": "4"}, request_key="edit-1"
    )
    again = actions.change_service(
        service, actor=ALICE, now=at("2024-03-16T00:01"), addons={"ram": "4"}, request_key="edit-1"
    )
    assert line is not None and again is not None and again.pk == line.pk
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("98.07")
    service.refresh_from_db()
    assert service.expires_at == at("2024-03-31T00:00")
    assert service.operation == Operation.RECONFIGURATION
    assert service.addons.get(addon=vps_catalog["ram"]).quantity == Decimal(4)
    assert ServiceEvent.objects.filter(service=service, kind="changed").count() == 1
    entry = LedgerEntry.objects.filter(service=service).get()
    assert entry.amount == Decimal("-1.93")
    assert run_audit() == []


def test_a_tariff_change_writes_a_credit_and_a_charge_and_moves_the_add_ons(alice: Any, vps_catalog: Any) -> None:
    bigger = f.tariff(vps_catalog["plan"].product_type, "VPS-2", prices={"month": "20.00"})
    ram2 = f.addon(bigger, "ram", prices={"month": "3.00"}, included=1, minimum=1, maximum=32)
    vps_catalog["plan"].changeable_to.add(bigger)
    service = vps(alice, vps_catalog, expires="2024-03-31T00:00", paid=True)
    actions.change_service(service, actor=ALICE, now=at("2024-03-16T00:00"), tariff=bigger.pk)
    amounts = sorted(LedgerEntry.objects.filter(service=service).values_list("amount", flat=True))
    assert amounts == [Decimal("-12.00"), Decimal("-11.13"), Decimal("5.81")]  # the paid period, then the change
    service.refresh_from_db()
    assert service.tariff == bigger
    assert service.addons.get(addon__resource="ram").addon == ram2


def test_a_tariff_not_in_the_allowed_list_is_refused(alice: Any, vps_catalog: Any) -> None:
    other = f.tariff(vps_catalog["plan"].product_type, "VPS-X", prices={"month": "1.00"})
    service = vps(alice, vps_catalog, expires="2024-03-31T00:00")
    with pytest.raises(DomainError) as raised:
        actions.change_service(service, actor=ALICE, now=at("2024-03-16T00:00"), tariff=other.pk)
    assert raised.value.field == "tariff"
    assert not Expense.objects.exists()


def test_a_change_the_balance_cannot_cover_changes_nothing(bob: Any, vps_catalog: Any) -> None:
    service = vps(bob, vps_catalog, expires="2025-01-01T00:00", period="year")
    with pytest.raises(InsufficientFunds):
        actions.change_service(service, actor=ALICE, now=at("2024-01-02T00:00"), addons={"ram": "16"})
    service.refresh_from_db()
    assert service.addons.get(addon=vps_catalog["ram"]).quantity == Decimal(2)
    assert not service.operation
    bob.refresh_from_db()
    assert bob.balance_amount == Decimal("50.00")


def test_a_change_while_another_operation_runs_is_a_conflict(alice: Any, vps_catalog: Any) -> None:
    service = vps(alice, vps_catalog, expires="2024-03-31T00:00")
    Service.objects.filter(pk=service.pk).update(operation=Operation.REBOOT)
    with pytest.raises(IllegalTransition):
        actions.change_service(service, actor=ALICE, now=at("2024-03-16T00:00"), addons={"ram": "4"})
    assert not Expense.objects.exists()


def test_auto_renewal_and_its_period_change_without_charge(alice: Any, vps_catalog: Any) -> None:
    service = vps(alice, vps_catalog, expires="2024-03-31T00:00")
    actions.change_service(service, actor=ALICE, now=at("2024-03-16T00:00"), auto_renew=False, period="year")
    service.refresh_from_db()
    assert (service.auto_renew, service.period) == (False, "year")
    assert not Expense.objects.exists()
    with pytest.raises(DomainError) as raised:
        actions.change_service(service, actor=ALICE, now=at("2024-03-16T00:00"), period="3years")
    assert raised.value.field == "period"


def test_a_daily_service_changes_without_recalculation(alice: Any, vps_catalog: Any) -> None:
    service = vps(alice, vps_catalog, expires="2024-03-17T00:00", period="day")
    actions.change_service(service, actor=ALICE, now=at("2024-03-16T00:00"), addons={"ram": "4"})
    assert not LedgerEntry.objects.filter(service=service).exists()
    service.refresh_from_db()
    assert service.operation == Operation.RECONFIGURATION


# --- extending ------------------------------------------------------------------------------


def test_extending_a_running_service_adds_the_period_to_its_expiry(alice: Any, vps_catalog: Any) -> None:
    service = vps(alice, vps_catalog, expires="2025-04-10T00:00", ram="1")
    now = at("2025-03-20T00:00")
    start = at("2025-04-10T00:00")
    renewal = actions.extend_service(service, period="month", actor=ALICE, now=now, expected_start=start)
    again = actions.extend_service(service, period="month", actor=ALICE, now=now, expected_start=start)
    assert renewal.created and not again.created
    service.refresh_from_db()
    assert service.expires_at == at("2025-05-10T00:00")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00")
    assert Expense.objects.filter(service=service).count() == 1


def test_extending_a_lapsed_service_starts_from_now_and_resumes_it(alice: Any, vps_catalog: Any) -> None:
    plan = vps_catalog["plan"]
    service = f.service(
        alice,
        plan,
        status=Status.SUSPENDED,
        expires_at=at("2025-03-01T00:00"),
        suspended_expired=True,
        addons={vps_catalog["ram"]: "1"},
    )
    now = at("2025-03-20T00:00")
    actions.extend_service(service, period="month", actor=ALICE, now=now)
    service.refresh_from_db()
    assert service.expires_at == at("2025-04-20T00:00")
    assert SuspendReason.EXPIRED not in service.suspend_reasons
    assert service.operation == Operation.RESUME
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00")


def test_a_daily_service_is_not_extended(alice: Any, vps_catalog: Any) -> None:
    service = vps(alice, vps_catalog, expires="2025-03-21T00:00", period="day")
    with pytest.raises(DomainError) as raised:
        actions.extend_service(service, period="month", actor=ALICE, now=at("2025-03-20T00:00"))
    assert raised.value.field == "period"


def test_extending_for_a_period_the_tariff_does_not_sell_is_refused(alice: Any, vps_catalog: Any) -> None:
    service = vps(alice, vps_catalog, expires="2025-04-10T00:00")
    with pytest.raises(DomainError) as raised:
        actions.extend_service(service, period="3years", actor=ALICE, now=at("2025-03-20T00:00"))
    assert raised.value.field == "period"
    assert not Expense.objects.exists()
