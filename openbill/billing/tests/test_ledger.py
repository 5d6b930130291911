"""The ledger: append-only entries under unique keys, balance = sum, the credit limit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from openbill.billing.actions import charge_service, ledger_sum, post_entry
from openbill.billing.models import EntryKind, Expense, LedgerEntry
from openbill.clients.models import Client
from openbill.core.errors import DomainError, InsufficientFunds
from openbill.core.tests import factories as f
from openbill.core.texts import Text

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _post(client, amount, key, **kwargs):
    kind = EntryKind.PAYMENT if Decimal(amount) > 0 else EntryKind.CHARGE
    return post_entry(
        client, amount=Decimal(amount), kind=kind, key=key, description=Text.verbatim(key), now=NOW, **kwargs
    )


def _balance(client):
    return Client.objects.get(pk=client.pk).balance_amount


@pytest.mark.django_db
def test_the_same_key_is_entered_once(alice):
    first, created = _post(alice, "25.00", "payment:42")
    again, created_again = _post(alice, "25.00", "payment:42")

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert _balance(alice) == Decimal("125.00")
    assert LedgerEntry.objects.filter(key="payment:42").count() == 1


@pytest.mark.django_db
def test_the_balance_is_the_sum_of_the_ledger_and_each_entry_carries_it(alice):
    for i, amount in enumerate(["-30.00", "12.34", "-0.01", "7.67"]):
        _post(alice, amount, f"k{i}")

    assert _balance(alice) == Decimal("90.00") == ledger_sum(alice)
    afters = list(LedgerEntry.objects.filter(client=alice).order_by("id").values_list("balance_after", flat=True))
    assert afters == [Decimal("100.00"), Decimal("70.00"), Decimal("82.34"), Decimal("82.33"), Decimal("90.00")]


@pytest.mark.django_db
def test_an_amount_is_rounded_once_when_written(alice):
    entry, _ = _post(alice, "-10.005", "rounded")

    assert entry.amount == Decimal("-10.01")
    assert _balance(alice) == Decimal("89.99")


@pytest.mark.django_db
def test_a_debit_may_use_the_credit_limit_but_not_more(provider):
    client = f.client(provider, "carol@test.test", balance="100.00", credit_limit=Decimal("50.00"))

    _post(client, "-150.00", "down-to-the-limit")
    with pytest.raises(InsufficientFunds) as refused:
        _post(client, "-0.01", "one-cent-too-far")

    assert _balance(client) == Decimal("-50.00")
    assert not LedgerEntry.objects.filter(key="one-cent-too-far").exists()
    assert refused.value.http_status == 402


@pytest.mark.django_db
def test_insufficient_funds_says_the_amount_what_is_available_and_what_is_missing(alice):
    with pytest.raises(InsufficientFunds) as refused:
        _post(alice, "-130.00", "too-much")

    error = refused.value
    # Amounts in the seed's format (whole amounts from 100 up drop the cents).
    assert error.message == "Insufficient funds: the amount is 130 USD, you have 100 USD, 30.00 USD is missing."
    assert error.field == "amount"
    assert error.details == {"amount": "130.00", "available": "100.00", "deficit": "30.00"}
    assert _balance(alice) == Decimal("100.00")
    assert LedgerEntry.objects.filter(client=alice).count() == 1


@pytest.mark.django_db
def test_the_credit_limit_is_zero_by_default(provider):
    client = f.client(provider, "dave@test.test")

    with pytest.raises(InsufficientFunds):
        _post(client, "-0.01", "first-charge")

    assert client.credit_limit == Decimal(0)


@pytest.mark.django_db
def test_a_rule_may_allow_going_below_the_credit_limit(alice):
    _post(alice, "-130.00", "overage-anyway", allow_overdraft=True)

    assert _balance(alice) == Decimal("-30.00")


@pytest.mark.django_db
def test_a_zero_amount_is_refused_naming_the_field(alice):
    with pytest.raises(DomainError) as refused:
        _post(alice, "0.004", "rounds-to-zero")

    assert refused.value.field == "amount"
    assert LedgerEntry.objects.filter(client=alice).count() == 1


@pytest.mark.django_db
def test_entries_are_never_updated(alice):
    entry = LedgerEntry.objects.get(client=alice)

    entry.amount = Decimal("1000000")
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()

    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("100.00")


@pytest.mark.django_db
def test_a_charge_under_its_business_key_happens_once(alice, vps_plan):
    service = f.service(alice, vps_plan)

    results = [
        charge_service(
            service,
            kind="period",
            key="2025-07-01T00:00:00+00:00",
            amount=Decimal("10"),
            description=Text.verbatim("July"),
            now=NOW,
        )
        for _ in range(3)
    ]

    assert [created for _, created in results] == [True, False, False]
    assert Expense.objects.filter(service=service).count() == 1
    assert LedgerEntry.objects.filter(service=service).count() == 1
    assert _balance(alice) == Decimal("90.00")
    expense = results[0][0]
    assert expense.entry is not None and expense.entry.amount == Decimal("-10.00")


@pytest.mark.django_db
def test_a_refund_credits_the_balance(alice, vps_plan):
    service = f.service(alice, vps_plan)

    expense, _ = charge_service(
        service, kind="refund", key="unused", amount=Decimal("-4.255"), description=Text.verbatim("Refund"), now=NOW
    )

    assert expense.amount == Decimal("-4.26")  # rounded once, half up
    assert expense.entry is not None and expense.entry.kind == EntryKind.REFUND
    assert _balance(alice) == Decimal("104.26")


@pytest.mark.django_db
def test_a_charge_that_the_balance_cannot_cover_charges_nothing(alice, vps_plan):
    service = f.service(alice, vps_plan)

    with pytest.raises(InsufficientFunds):
        charge_service(
            service, kind="period", key="big", amount=Decimal("500"), description=Text.verbatim("Year"), now=NOW
        )

    assert not Expense.objects.filter(service=service).exists()
    assert _balance(alice) == Decimal("100.00")


@pytest.mark.django_db
def test_charges_are_never_updated(alice, vps_plan):
    service = f.service(alice, vps_plan)
    expense, _ = charge_service(
        service, kind="period", key="k", amount=Decimal("10"), description=Text.verbatim("x"), now=NOW
    )

    expense.amount = Decimal("0")
    with pytest.raises(RuntimeError, match="append-only"):
        expense.save()
