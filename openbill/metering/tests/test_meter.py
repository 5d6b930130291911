"""Charging the overage: each increment once, late records, crashes, suspension and its lifting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from openbill.billing.actions import post_entry
from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, Expense, ExpenseKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.models import Notice
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.metering import actions
from openbill.payments import actions as payments
from openbill.services.models import ServiceEvent

from .factories import ingest, record, traffic

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 5, tzinfo=UTC)


def overage_charges(service):
    return sorted(Expense.objects.filter(service=service, kind=ExpenseKind.OVERAGE).values_list("amount", flat=True))


def balance(client):
    client.refresh_from_db()
    return client.balance_amount


@pytest.fixture
def server(provider, vps_plan, alice):
    traffic(vps_plan, maximum=Decimal(5000))
    return f.service(alice, vps_plan, name="Alice VPS")


def test_the_sweep_charges_the_overage_once_however_often_it_runs(provider, server, alice):
    ingest(provider, [record(server, "rx_bytes", DAY, "1250")], NOW)

    for _run in range(3):
        actions.meter(now=NOW)
        actions.meter(now=NOW + timedelta(hours=1))

    assert overage_charges(server) == [Decimal("2.50")]
    assert balance(alice) == Decimal("97.50")
    assert run_audit() == []


def test_more_usage_charges_only_the_increase(provider, server, alice):
    ingest(provider, [record(server, "rx_bytes", DAY, "1250")], NOW)
    actions.meter(now=NOW)
    ingest(provider, [record(server, "tx_bytes", DAY + timedelta(days=1), "100.5")], NOW + timedelta(hours=1))
    actions.meter(now=NOW + timedelta(hours=1))
    actions.meter(now=NOW + timedelta(hours=2))

    # 250 GiB over = 2.50, then 350.5 over = 3.505 → 3.51 in total: 1.01 more
    assert overage_charges(server) == [Decimal("1.01"), Decimal("2.50")]
    assert balance(alice) == Decimal("96.49")
    keys = sorted(Expense.objects.filter(service=server).values_list("key", flat=True))
    addon_id = server.tariff.addons.get().pk
    assert keys == [f"{addon_id}:2026-03-01:250", f"{addon_id}:2026-03-01:350.5"]


def test_a_late_record_corrects_the_next_increment(provider, server, alice):
    ingest(provider, [record(server, "rx_bytes", DAY + timedelta(days=10), "1100")], NOW)
    actions.meter(now=NOW)
    # a record for an earlier day of the same month arrives a day later
    late = record(server, "tx_bytes", DAY, "40")
    assert ingest(provider, [late], NOW + timedelta(days=1)).accepted == 1
    actions.meter(now=NOW + timedelta(days=1))

    assert overage_charges(server) == [Decimal("0.40"), Decimal("1.00")]
    assert balance(alice) == Decimal("98.60")


def test_a_late_record_for_last_month_is_charged_in_the_first_days_of_the_next(provider, server, alice):
    ingest(
        provider,
        [record(server, "rx_bytes", datetime(2026, 2, 20, tzinfo=UTC), "1100")],
        datetime(2026, 2, 21, tzinfo=UTC),
    )
    actions.meter(now=datetime(2026, 2, 21, tzinfo=UTC))
    march_2 = datetime(2026, 3, 2, tzinfo=UTC)
    assert (
        ingest(provider, [record(server, "rx_bytes", datetime(2026, 2, 28, 23, tzinfo=UTC), "10")], march_2).accepted
        == 1
    )
    actions.meter(now=march_2)

    assert overage_charges(server) == [Decimal("0.10"), Decimal("1.00")]


def test_a_crash_between_rating_and_charging_charges_nothing_twice(provider, server, alice):
    ingest(provider, [record(server, "rx_bytes", DAY, "1300")], NOW)
    # the worker rated (committed) and died before settling anything
    run = actions.rate_provider(provider, now=NOW)
    assert run.services == {server.pk}
    assert overage_charges(server) == []

    # it died again inside a settlement, after the charge was written: the transaction rolled back
    with pytest.raises(RuntimeError), __import__("django.db").db.transaction.atomic():
        actions.settle_service(server.pk, now=NOW)
        raise RuntimeError("killed")
    assert overage_charges(server) == []

    actions.meter(now=NOW + timedelta(minutes=5))
    actions.settle_service(server.pk, now=NOW + timedelta(minutes=6))
    assert overage_charges(server) == [Decimal("3.00")]
    assert LedgerEntry.objects.filter(client=alice, kind=EntryKind.CHARGE).count() == 1
    assert run_audit() == []


def test_over_the_maximum_suspends_whatever_the_funds_until_the_next_period(provider, server, alice):
    ingest(provider, [record(server, "rx_bytes", DAY, "5001")], NOW)
    actions.meter(now=NOW)

    server.refresh_from_db()
    assert server.suspended_overuse
    assert server.operation == "suspension"
    assert Notice.objects.filter(client=alice, template="overage_limit").count() == 1
    assert overage_charges(server) == [Decimal("40.01")]

    actions.meter(now=NOW + timedelta(hours=1))
    assert Notice.objects.filter(client=alice, template="overage_limit").count() == 1  # notified once

    # the next reporting period lifts it
    actions.meter(now=datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    server.refresh_from_db()
    assert not server.suspended_overuse
    assert ServiceEvent.objects.filter(service=server, kind="suspension lifted", note_params__reason="overuse").exists()


def test_without_funds_a_suspend_tariff_stops_the_service_until_a_payment_covers_the_debt(provider, server, alice):
    server.tariff.overage_without_funds = "suspend"
    server.tariff.save()
    server.tariff.addons.update(maximum=None)
    ingest(provider, [record(server, "rx_bytes", DAY, "12000")], NOW)
    actions.meter(now=NOW)

    server.refresh_from_db()
    assert server.suspended_overuse
    assert overage_charges(server) == []  # 110.00 with 100.00 on the balance: nothing charged
    assert balance(alice) == Decimal("100.00")
    assert Notice.objects.filter(client=alice, template="overage_unpaid").count() == 1

    actions.meter(now=NOW + timedelta(hours=1))
    server.refresh_from_db()
    assert server.suspended_overuse

    post_entry(
        alice,
        amount=Decimal("20.00"),
        kind=EntryKind.PAYMENT,
        key="pay-1",
        description=Text.verbatim("Top-up"),
        now=NOW,
    )
    actions.meter(now=NOW + timedelta(hours=2))
    server.refresh_from_db()
    assert not server.suspended_overuse
    assert overage_charges(server) == [Decimal("110.00")]
    assert balance(alice) == Decimal("10.00")
    assert run_audit() == []


def test_without_funds_a_charge_tariff_charges_anyway_past_the_credit_limit(provider, server, alice):
    server.tariff.addons.update(maximum=None)
    ingest(provider, [record(server, "rx_bytes", DAY, "12000")], NOW)
    actions.meter(now=NOW)

    server.refresh_from_db()
    assert not server.suspended_overuse
    assert overage_charges(server) == [Decimal("110.00")]
    assert balance(alice) == Decimal("-10.00")
    assert Notice.objects.filter(client=alice, template="overage_overdraft").count() == 1
    assert run_audit() == []


def test_audit_is_clean_after_the_meter_ran(provider, server, alice):
    ingest(provider, [record(server, "rx_bytes", DAY, "1500")], NOW)
    actions.meter(now=NOW)
    call_command("audit")  # raises on problems
    assert run_audit() == []


def test_a_payment_charges_the_unpaid_overage_and_lifts_its_suspension_at_once(provider, server, alice):
    server.tariff.overage_without_funds = "suspend"
    server.tariff.save()
    server.tariff.addons.update(maximum=None)
    ingest(provider, [record(server, "rx_bytes", DAY, "11500")], NOW)
    actions.meter(now=NOW)
    server.refresh_from_db()
    assert server.suspended_overuse
    assert overage_charges(server) == []

    paid_at = NOW + timedelta(minutes=1)
    payment, _result = payments.start_payment(
        alice, method="bank", amount="50.00", actor=Actor.system(), now=paid_at, return_url="/"
    )
    assert payments.confirm_payment(payment, actor=Actor.system("staff"), now=paid_at) == "credited"

    server.refresh_from_db()
    assert not server.suspended_overuse
    assert overage_charges(server) == [Decimal("105.00")]
    assert balance(alice) == Decimal("45.00")
    latest = list(
        LedgerEntry.objects.filter(client=alice).order_by("-id").values_list("kind", "amount", "balance_after")[:2]
    )
    assert latest == [
        (EntryKind.CHARGE, Decimal("-105.00"), Decimal("45.00")),
        (EntryKind.PAYMENT, Decimal("50.00"), Decimal("150.00")),
    ]
    assert run_audit() == []


def test_an_overage_far_above_the_services_usual_stops_the_sweep_and_raises_an_alert(provider, vps_plan, alice):
    from openbill.services.automation.models import SweepAlert

    traffic(vps_plan)  # no maximum
    server = f.service(alice, vps_plan, name="Alice VPS")  # 10.00 a month
    other = f.service(alice, vps_plan, name="Alice VPS 2")
    # A usual month: 2.50 of overage, charged.
    ingest(provider, [record(server, "rx_bytes", DAY - timedelta(days=30), "1250")], DAY - timedelta(days=29))
    actions.meter(now=DAY - timedelta(days=29))
    assert overage_charges(server) == [Decimal("2.50")]
    # Then a meter that reports 10,000 times more (a unit or counter bug), and a normal one.
    ingest(
        provider,
        [record(server, "rx_bytes", DAY, "2000000"), record(other, "rx_bytes", DAY, "1100")],
        NOW,
    )

    totals = actions.meter(now=NOW)

    assert totals["tripped"] == 1
    alert = SweepAlert.objects.get(sweep="meter", resolved_at__isnull=True)
    assert alert.details["service"] == server.pk
    assert alert.details["amount"] == "19990.00"
    assert overage_charges(server) == [Decimal("2.50")]  # nothing more charged…
    assert overage_charges(other) == []  # …by this run, to anyone
    assert balance(alice) == Decimal("97.50")
    # The sweep stays stopped until staff resolve the alert.
    assert actions.meter(now=NOW + timedelta(hours=1))["blocked"] == 1
    assert overage_charges(other) == []
    assert run_audit() == []
