"""The lifecycle sweeps as a client and the provider see them: renewals, stops, deletions, notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from openbill.billing.actions import post_entry
from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.models import Notice
from openbill.core.notify import render
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.services import actions, sweeps
from openbill.services.automation import engine, renew
from openbill.services.automation.models import RunState, SweepAlert, SweepRun
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service, ServiceEvent
from openbill.services.selectors import expiration_text

from .sweep_helpers import confirm_operations, period_charges

AT = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
STAFF = Actor("staff", None, "staff@test.test")


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(AT - timedelta(days=40), tick=False) as traveller:
        yield traveller


def sweep(at: datetime) -> dict[str, dict[str, object]]:
    return sweeps.run_now(at)


@pytest.mark.django_db
def test_renew_charges_each_due_service_once_and_moves_its_expiry(alice, vps_plan):
    due = f.service(alice, vps_plan, expires_at=AT + timedelta(hours=15), name="due today")
    later = f.service(alice, vps_plan, expires_at=AT + timedelta(days=3), name="due in 3 days")

    sweep(AT)
    sweep(AT + timedelta(minutes=10))  # the next slot of the same day finds nothing more to do

    due.refresh_from_db()
    later.refresh_from_db()
    alice.refresh_from_db()
    assert due.expires_at == datetime(2026, 4, 10, 15, 5, tzinfo=UTC)
    assert later.expires_at == AT + timedelta(days=3)
    assert alice.balance_amount == Decimal("90.00")
    assert period_charges(due) == [(AT + timedelta(hours=15), due.expires_at, Decimal("10.00"))]
    assert due.events.filter(kind="renewed").count() == 1
    assert Notice.objects.filter(key=f"renewed:{due.pk}:{(AT + timedelta(hours=15)).isoformat()}").exists()
    assert run_audit() == []


@pytest.mark.django_db
def test_a_batch_takes_the_due_services_of_its_own_clients_each_by_its_providers_midnight():
    """A batch is a range of client ids that may hold clients of several providers: each
    service is due by its own provider's day, and a client outside the range is not the batch's."""
    madrid = f.provider("Madrid Hosting", time_zone="Europe/Madrid")
    utc = f.provider("UTC Hosting")
    plans = {p: f.tariff(f.product_type(p, "vds"), "Daily", prices={"day": "1.00"}) for p in (madrid, utc)}
    first = f.client(madrid, "first@test.test", balance="10.00")
    second = f.client(utc, "second@test.test", balance="10.00")
    third = f.client(madrid, "third@test.test", balance="10.00")
    outside = f.client(madrid, "outside@test.test", balance="10.00")
    tomorrow = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)  # the 11th: today in Madrid, tomorrow in UTC
    today = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    services = {
        name: f.service(client, plans[client.provider], period="day", expires_at=expires_at, name=name)
        for name, client, expires_at in (
            ("madrid today", first, tomorrow),
            ("utc tomorrow", second, tomorrow),
            ("utc today", second, today),
            ("madrid later", third, tomorrow + timedelta(days=1)),
            ("outside today", outside, tomorrow),
        )
    }
    run = SweepRun(sweep="renew", at=datetime(2026, 3, 10, 23, 5, tzinfo=UTC), provider_ids=[])  # 00:05 in Madrid

    rows = renew.due_rows(run, first.pk, third.pk, lock=False)

    assert {row[0] for row in rows} == {services["madrid today"].pk, services["utc today"].pk}


@pytest.mark.django_db
def test_daily_service_is_charged_each_day_at_the_providers_midnight(vps_plan):
    madrid = f.provider("Madrid Hosting", time_zone="Europe/Madrid")
    ptype = f.product_type(madrid, "vds")
    plan = f.tariff(ptype, "Daily", prices={"day": "1.00"})
    carol = f.client(madrid, "carol@test.test", balance="10.00")
    daily = f.service(carol, plan, period="day", expires_at=datetime(2026, 3, 11, 10, 0, tzinfo=UTC))

    sweep(datetime(2026, 3, 10, 22, 55, tzinfo=UTC))  # 23:55 in Madrid on the 10th: not yet
    daily.refresh_from_db()
    assert daily.expires_at == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)

    sweep(datetime(2026, 3, 10, 23, 5, tzinfo=UTC))  # 00:05 in Madrid on the 11th: the day's charge
    sweep(datetime(2026, 3, 11, 12, 0, tzinfo=UTC))  # later that day: nothing more
    sweep(datetime(2026, 3, 11, 23, 5, tzinfo=UTC))  # the next Madrid midnight: the next day

    daily.refresh_from_db()
    carol.refresh_from_db()
    assert daily.expires_at == datetime(2026, 3, 13, 10, 0, tzinfo=UTC)
    assert [(start, amount) for start, _end, amount in period_charges(daily)] == [
        (datetime(2026, 3, 11, 10, 0, tzinfo=UTC), Decimal("1.00")),
        (datetime(2026, 3, 12, 10, 0, tzinfo=UTC), Decimal("1.00")),
    ]
    assert carol.balance_amount == Decimal("8.00")


@pytest.mark.django_db
def test_a_renewal_the_balance_cannot_cover_fails_and_the_service_stops_after_its_grace_days(bob, vps_plan):
    vps_plan.product_type.grace_days = 2
    vps_plan.product_type.save()
    expiry = AT + timedelta(hours=6)
    service = f.service(bob, vps_plan, period="year", expires_at=expiry)  # 500 a year, bob has 50

    result = sweep(AT)
    assert result["renew"]["failed_ids"] == [service.pk]
    assert Notice.objects.filter(template="service_low_balance", key__endswith=":0").count() == 1

    sweep(expiry + timedelta(days=1))  # inside the grace days: still running
    service.refresh_from_db()
    assert service.status == Status.ACTIVE and not service.suspended_expired

    stop_at = expiry + timedelta(days=2, minutes=5)
    sweep(stop_at)
    service.refresh_from_db()
    assert service.suspended_expired
    assert service.operation == Operation.SUSPENSION  # stopped only when the module confirms
    confirm_operations(stop_at)
    service.refresh_from_db()
    assert service.status == Status.SUSPENDED
    assert expiration_text(service, stop_at) == "Stopped 2026-03-10"
    bob.refresh_from_db()
    assert bob.balance_amount == Decimal("50.00")
    assert not Expense.objects.filter(service=service).exists()
    assert Notice.objects.filter(template="service_suspended", client=bob).count() == 1
    assert run_audit() == []


@pytest.mark.django_db
def test_a_service_stopped_for_expiry_resumes_when_the_renewal_is_paid(bob, vps_plan):
    service = f.service(bob, vps_plan, period="month", expires_at=AT - timedelta(days=1))
    Service.objects.filter(pk=service.pk).update(auto_renew=True)
    bob_poor = bob
    post_entry(
        bob_poor, amount=Decimal("-45.00"), kind="correction", key="drain", description=Text.verbatim("drain"), now=AT
    )
    sweep(AT)  # 5.00 left: the 10.00 renewal fails and the service stops
    confirm_operations(AT)
    service.refresh_from_db()
    assert service.status == Status.SUSPENDED and service.suspended_expired

    later = AT + timedelta(hours=3)
    post_entry(
        bob, amount=Decimal("20.00"), kind="payment", key="topup", description=Text.verbatim("Top-up"), now=later
    )
    sweep(later)
    service.refresh_from_db()
    assert not service.suspend_reasons
    assert service.operation == Operation.RESUME
    assert service.expires_at == datetime(2026, 4, 10, 3, 5, tzinfo=UTC)  # a lapsed service restarts from now
    confirm_operations(later)
    service.refresh_from_db()
    assert service.status == Status.ACTIVE
    assert Notice.objects.filter(template="service_resumed", client=bob).count() == 1
    assert run_audit() == []


@pytest.mark.django_db
def test_only_services_stopped_for_expiry_alone_are_deleted_automatically(alice, vps_plan):
    vps_plan.product_type.auto_delete_days = 3
    vps_plan.product_type.save()
    expiry = AT - timedelta(hours=1)
    expired_only = f.service(alice, vps_plan, expires_at=expiry, auto_renew=False, name="expired only")
    also_client = f.service(alice, vps_plan, expires_at=expiry, auto_renew=False, name="client too")
    actions.suspend(also_client, reason=SuspendReason.CLIENT, actor=Actor("client", None, "alice"), now=AT)
    confirm_operations(AT)
    sweep(AT)
    confirm_operations(AT)
    for service in (expired_only, also_client):
        service.refresh_from_db()
        assert service.status == Status.SUSPENDED and service.suspended_expired

    sweep(AT + timedelta(days=2))
    assert not Service.objects.filter(operation=Operation.DELETION).exists()

    deleting_at = AT + timedelta(days=3, hours=1)
    result = sweep(deleting_at)
    assert result["delete"]["deleting_ids"] == [expired_only.pk]
    confirm_operations(deleting_at)
    expired_only.refresh_from_db()
    also_client.refresh_from_db()
    assert expired_only.status == Status.DELETED
    assert also_client.status == Status.SUSPENDED
    assert expired_only.events.filter(kind="automatic deletion").exists()
    assert Notice.objects.filter(template="service_deleted", key__contains=f":{expired_only.pk}:").count() == 1


@pytest.mark.django_db
def test_a_deletion_scheduled_for_the_end_of_the_paid_period_starts_then_and_is_not_renewed(alice, vps_plan):
    expiry = AT + timedelta(hours=5)
    service = f.service(alice, vps_plan, expires_at=expiry)
    Service.objects.filter(pk=service.pk).update(delete_at=expiry)

    sweep(AT)
    service.refresh_from_db()
    assert service.expires_at == expiry and not service.operation

    sweep(expiry + timedelta(minutes=1))
    service.refresh_from_db()
    assert service.operation == Operation.DELETION
    assert not service.suspended_expired
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


@pytest.mark.django_db
def test_low_balance_and_expiry_reminders_are_sent_on_billmanagers_days_once_each(bob, vps_plan):
    expiry = AT + timedelta(days=10, hours=12)
    pricey = f.tariff(vps_plan.product_type, "VPS-9", prices={"month": "60.00"})
    renewing = f.service(bob, pricey, expires_at=expiry, name="renews")  # bob has 50: not enough
    manual = f.service(bob, vps_plan, expires_at=expiry, auto_renew=False, name="manual")

    for day in range(11):
        moment = AT + timedelta(days=day)
        sweep(moment)
        sweep(moment + timedelta(hours=2))  # a second run the same day sends nothing again

    low = Notice.objects.filter(template="service_low_balance").order_by("created_at")
    reminders = Notice.objects.filter(template="service_expiry_reminder").order_by("created_at")
    assert [n.context["days"] for n in low] == [10, 5, 4, 3, 2, 1, 0]
    assert [n.context["days"] for n in reminders] == [5, 4, 3, 2, 1, 0]
    assert {n.context["service_id"] for n in low} == {renewing.pk}
    assert {n.context["service_id"] for n in reminders} == {manual.pk}
    subject, body = render(low.last())
    assert subject == "Top up today to renew renews"
    assert "60.00 USD" in body and "50.00 USD available" in body


@pytest.mark.django_db
def test_the_fuse_stops_a_sweep_that_would_charge_a_service_twice_in_one_day_and_tells_staff(alice, vps_plan, caplog):
    service = f.service(alice, vps_plan, expires_at=AT + timedelta(hours=2))
    sweep(AT)
    # A bug elsewhere puts the expiry back: a second charge today would be a double charge.
    Service.objects.filter(pk=service.pk).update(expires_at=AT + timedelta(hours=2))

    result = sweep(AT + timedelta(minutes=10))

    assert "tripped" in result["renew"]
    assert "expire" not in result  # the chain stops with it
    alert = SweepAlert.objects.get()
    assert alert.details["services"] == [service.pk]
    assert "FUSE" in caplog.text
    assert Expense.objects.filter(service=service).count() == 1
    assert SweepRun.objects.filter(state=RunState.TRIPPED).count() == 1
    # Until staff resolve the alert, the sweep stays stopped.
    assert sweep(AT + timedelta(minutes=20))["renew"] == {"blocked": alert.reason}
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00")


@pytest.mark.django_db
def test_the_fuse_stops_a_batch_that_finds_far_more_services_due_than_were_planned(alice, vps_plan):
    f.service(alice, vps_plan, expires_at=AT + timedelta(hours=2))
    planned = engine.plan_run("renew", at=AT, run_key="test", chain=False)
    for i in range(20):  # a runaway bug makes many more services look due before the batch runs
        f.service(alice, vps_plan, expires_at=AT + timedelta(hours=3), name=f"runaway {i}")

    result = engine.run_batch(planned.batch_ids[0])

    assert result == {"tripped": "far more services due than planned"}
    assert not Expense.objects.exists()
    assert SweepAlert.objects.get().details["found"] == 21


@pytest.mark.django_db
def test_status_changes_send_their_notice_once_with_the_reason(alice, vps_plan):
    service = f.service(alice, vps_plan, expires_at=AT + timedelta(days=20))
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=STAFF, now=AT)
    confirm_operations(AT)
    actions.resume(service, reason=SuspendReason.ADMIN, actor=STAFF, now=AT)
    confirm_operations(AT)

    suspended = Notice.objects.get(template="service_suspended")
    assert suspended.context["reasons"] == ["admin"]
    subject, body = render(suspended)
    assert subject == f"Suspended: {service.name}"
    assert "It was suspended by the administrator." in body
    assert Notice.objects.filter(template="service_resumed").count() == 1


@pytest.mark.django_db
def test_activation_and_its_failure_and_missing_parameters_tell_the_client(alice, vps_plan):
    f.parameter(vps_plan.product_type, "hostname")
    waiting = f.service(alice, vps_plan, status=Status.ORDERED, name="needs a hostname")
    actions.request_activation(waiting, actor=STAFF, now=AT)
    assert Notice.objects.filter(template="service_configuration_required").count() == 1

    actions.supply_parameters(waiting, {"hostname": "a.example"}, actor=STAFF, now=AT)
    confirm_operations(AT)
    waiting.refresh_from_db()
    assert waiting.status == Status.ACTIVE
    activated = Notice.objects.get(template="service_activated")
    assert activated.context["expires_on"] == "2026-04-10"

    failing = f.service(alice, vps_plan, status=Status.ORDERED, name="fails", parameters={"hostname": "b.example"})
    actions.request_activation(failing, actor=STAFF, now=AT)
    actions.fail_operation(failing.pk, Operation.ACTIVATION, actor=STAFF, now=AT, error="no such image")
    assert Notice.objects.filter(template="service_activation_failed").count() == 1
    assert ServiceEvent.objects.filter(service=failing, kind="operation failed").count() == 1


@pytest.mark.django_db
def test_sweeps_never_touch_another_providers_services_when_scoped(alice, vps_plan):
    other = f.provider("Other Hosting")
    plan = f.tariff(f.product_type(other, "vds"), prices={"month": "10.00"})
    dave = f.client(other, "dave@test.test", balance="100.00")
    mine = f.service(alice, vps_plan, expires_at=AT + timedelta(hours=2))
    theirs = f.service(dave, plan, expires_at=AT + timedelta(hours=2))

    sweeps.run_now(AT, provider_ids=[alice.provider_id])

    assert Expense.objects.filter(service=mine).count() == 1
    assert not Expense.objects.filter(service=theirs).exists()
    assert LedgerEntry.objects.filter(client=dave).count() == 1  # the top-up only
