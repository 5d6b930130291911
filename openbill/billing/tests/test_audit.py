"""``openbill audit`` exits 0 on a clean ledger and non-zero on any difference."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from openbill.billing.actions import charge_service, post_entry
from openbill.billing.models import EntryKind, Expense, LedgerEntry
from openbill.clients.models import Client
from openbill.core.tests import factories as f
from openbill.core.texts import Text

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


def audit() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def busy_ledger(alice, bob, vps_plan):
    service = f.service(alice, vps_plan)
    charge_service(service, kind="period", key="july", amount=Decimal("10"), description=Text.verbatim("July"), now=NOW)
    post_entry(
        bob, amount=Decimal("-20"), kind=EntryKind.CHARGE, key="bob-charge", description=Text.verbatim("x"), now=NOW
    )
    return service


@pytest.mark.django_db
def test_audit_is_clean_on_a_ledger_written_by_the_actions(busy_ledger):
    code, out, err = audit()

    assert code == 0, err
    assert "audit clean" in out


@pytest.mark.django_db
def test_audit_is_clean_on_the_demo_data():
    call_command("demo", stdout=StringIO())

    code, _, err = audit()

    assert code == 0, err


@pytest.mark.django_db
def test_audit_fails_on_an_entry_edited_behind_the_ledgers_back(busy_ledger, alice):
    entry = LedgerEntry.objects.filter(client=alice, kind=EntryKind.PAYMENT).get()
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1000.00"))  # bypasses save()

    code, _, err = audit()

    assert code == 1
    assert f"client {alice.pk}" in err
    assert f"ledger entry {entry.pk}" in err


@pytest.mark.django_db
def test_audit_fails_on_an_edited_cached_balance(busy_ledger, bob):
    Client.objects.filter(pk=bob.pk).update(balance_amount=Decimal("1000000"))

    code, _, err = audit()

    assert code == 1
    assert f"client {bob.pk} (Bob): balance 1000000" in err
    assert "ledger sums to 30" in err


@pytest.mark.django_db
def test_audit_fails_when_entry_and_balance_were_edited_to_agree(busy_ledger, bob):
    # The forger moved both the entry and the cached balance: the running sum still betrays it.
    entry = LedgerEntry.objects.get(key="bob-charge")
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("-1.00"))
    Client.objects.filter(pk=bob.pk).update(balance_amount=Decimal("49.00"))

    code, _, err = audit()

    assert code == 1
    assert f"ledger entry {entry.pk}" in err


@pytest.mark.django_db
def test_audit_fails_on_a_deleted_entry(busy_ledger, alice):
    expense = Expense.objects.get(service=busy_ledger)
    Expense.objects.filter(pk=expense.pk).update(entry=None)
    LedgerEntry.objects.filter(service=busy_ledger).delete()

    code, _, err = audit()

    assert code == 1
    assert f"charge {expense.pk}: no ledger entry" in err
    assert f"client {alice.pk}" in err


@pytest.mark.django_db
def test_audit_fails_on_a_charge_whose_amount_was_edited(busy_ledger):
    expense = Expense.objects.get(service=busy_ledger)
    Expense.objects.filter(pk=expense.pk).update(amount=Decimal("1.00"))

    code, _, err = audit()

    assert code == 1
    assert f"charge {expense.pk}: its ledger entry does not carry its amount" in err
