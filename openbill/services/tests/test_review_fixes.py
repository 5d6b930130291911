"""Defects found in review (money and lifecycle), each as the client or staff would meet it:
a change then a deletion refunds once; staff cannot cancel a suspension or resume the reasons
still call for; a cancelled deletion takes its refund back and a cancelled reconfiguration its
charge; a service scheduled for deletion is not extended or changed; History never shows a
module's own error; a staff user acting in the client area is held to the client's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.catalog.models import DeletionWhen, DeletionWho
from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition
from openbill.core.tests import factories as f
from openbill.orders import actions as orders
from openbill.provisioning import staff
from openbill.provisioning.models import ProcessingModule, ProvisioningTask, TaskState
from openbill.services import actions
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service, ServiceAddon
from openbill.services.renewal import renew_service

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
STAFF = Actor("staff", None, "staff@test.test")


@pytest.fixture
def shop(provider: Any, vps_type: Any) -> dict[str, Any]:
    """Yearly tariffs A (120.00) and B (60.00), RAM at 20.00 a GiB-year (one included), the
    unused part refunded on deletion, delivered by hand (the manual module)."""
    vps_type.refund_unused = True
    vps_type.deletion_who = DeletionWho.CLIENT_AND_STAFF
    vps_type.deletion_when = DeletionWhen.NOW
    vps_type.save()
    a = f.tariff(vps_type, "A", prices={"year": "120.00"})
    b = f.tariff(vps_type, "B", prices={"year": "60.00"})
    ram = f.addon(a, "ram", prices={"year": "20.00"}, included=1, minimum=1, maximum=16, step=1, unit="GiB")
    a.changeable_to.add(b)
    manual = ProcessingModule.objects.create(provider=provider, kind="manual", name="Manual")
    manual.tariffs.add(a, b)
    client = f.client(provider, "carol@test.test", balance="300.00")
    return {"a": a, "b": b, "ram": ram, "client": client, "actor": Actor("client", None, "carol@test.test")}


def confirm(service: Service, now: datetime) -> Service:
    """The open operation is done (by hand, through the manual module)."""
    task = ProvisioningTask.objects.get(service=service, state__in=[TaskState.QUEUED, TaskState.WAITING_STAFF])
    staff.staff_complete(task, actor=STAFF, now=now)
    return Service.objects.get(pk=service.pk)


def open_task(service: Service) -> ProvisioningTask:
    return ProvisioningTask.objects.get(service=service, state__in=[TaskState.QUEUED, TaskState.WAITING_STAFF])


def bought(shop: dict[str, Any], *, ram: str | None = None) -> Service:
    """Tariff A for a year, ordered, paid and activated at NOW."""
    addons = {"ram": ram} if ram else None
    order = orders.order_now(
        shop["client"], tariff=shop["a"], period="year", addons=addons, actor=shop["actor"], now=NOW
    )
    orders.pay_order(order, actor=shop["actor"], now=NOW)
    service = Service.objects.get(order_lines__order=order)
    return confirm(service, NOW)


def balance(client: Any) -> Decimal:
    client.refresh_from_db()
    return Decimal(client.balance_amount)


# --- 1: a change followed by a deletion refunds once ---------------------------------------------
def test_a_tariff_change_then_deletion_refunds_only_what_was_paid(shop: dict[str, Any]) -> None:
    client = shop["client"]
    service = bought(shop)
    assert balance(client) == Decimal("180.00")

    orders.change_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=1), tariff=shop["b"].pk)
    service = confirm(service, NOW + timedelta(minutes=1))
    assert balance(client) == Decimal("240.00")  # 120 back, 60 for B
    actions.delete_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=2))
    confirm(service, NOW + timedelta(minutes=2))

    # Two minutes of service cost well under a cent: the client is back where it started,
    # not 60 richer (the old bug refunded the original year again, ~+120).
    assert balance(client) == Decimal("300.00")
    refunds = -sum(Expense.objects.filter(service=service, amount__lt=0).values_list("amount", flat=True))
    charges = sum(Expense.objects.filter(service=service, amount__gt=0).values_list("amount", flat=True))
    assert refunds <= charges
    assert run_audit() == []


def test_add_ons_up_then_down_then_deletion_refunds_the_unused_part_once(shop: dict[str, Any]) -> None:
    client = shop["client"]
    service = bought(shop)  # 1 GiB: 120.00
    orders.change_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=1), addons={"ram": "4"})
    service = confirm(service, NOW + timedelta(minutes=1))
    orders.change_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=2), addons={"ram": "2"})
    service = confirm(service, NOW + timedelta(minutes=2))
    paid = Decimal("300.00") - balance(client)
    assert paid == Decimal("140.00")  # 120 + 60 up − 40 down: the year at 2 GiB

    actions.delete_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=3))
    confirm(service, NOW + timedelta(minutes=3))
    # The upgrade's charge is refunded too (it was never counted before), and nothing twice.
    assert balance(client) == Decimal("300.00")
    assert LedgerEntry.objects.filter(service=service, kind="refund").count() == 2  # the downgrade, the deletion
    assert run_audit() == []


def test_a_tariff_change_credits_what_was_paid_not_todays_catalog_price(shop: dict[str, Any]) -> None:
    client = shop["client"]
    service = bought(shop)
    shop["a"].prices.filter(period="year").update(price=Decimal("240.00"))  # the catalog moves

    line = orders.change_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=1), tariff=shop["b"].pk)
    assert line is not None
    credit = Expense.objects.get(service=service, key=f"line:{line.pk}:credit")
    # What was paid (120.00) for all but a minute of the year: 119.9997… rounds to 120.00.
    assert credit.amount == Decimal("-120.00")
    assert balance(client) == Decimal("240.00")


# --- 2: staff cannot cancel what the reasons still call for ---------------------------------------
def test_staff_cannot_cancel_a_suspension_the_reasons_still_need(shop: dict[str, Any]) -> None:
    service = bought(shop)
    actions.suspend(service, reason=SuspendReason.ABUSE, actor=STAFF, now=NOW)
    task = open_task(service)

    with pytest.raises(IllegalTransition, match="Retry it, or complete it by hand"):
        staff.staff_cancel(task, actor=STAFF, now=NOW)
    service.refresh_from_db()
    task.refresh_from_db()
    assert service.operation == Operation.SUSPENSION and service.label == "In progress (suspension)"
    assert task.state == TaskState.QUEUED  # still there for staff to retry or complete
    assert confirm(service, NOW).label == "Suspended due to abuse"


def test_staff_cannot_cancel_a_resume_of_a_service_with_no_reason_left(shop: dict[str, Any]) -> None:
    service = bought(shop)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)
    confirm(service, NOW)
    actions.resume(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)

    with pytest.raises(IllegalTransition):  # was a check-constraint crash (500)
        staff.staff_cancel(open_task(service), actor=STAFF, now=NOW)
    assert confirm(service, NOW).label == "Active"


def test_staff_may_cancel_a_suspension_whose_reason_was_lifted(shop: dict[str, Any]) -> None:
    service = bought(shop)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)
    actions.resume(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)  # changed their mind

    staff.staff_cancel(open_task(service), actor=STAFF, now=NOW)
    service.refresh_from_db()
    assert (service.status, service.operation, service.suspend_reasons) == (Status.ACTIVE, "", frozenset())


# --- 3: cancelling takes the money effect back -----------------------------------------------------
def test_a_cancelled_deletion_takes_its_refund_back_and_a_later_one_refunds_again(shop: dict[str, Any]) -> None:
    client = shop["client"]
    service = bought(shop)
    actions.delete_service(service, actor=STAFF, now=NOW + timedelta(days=1), refund=True)
    # 364 of 365 days unused, refunded at the request: 120 × 364/365 = 119.671…
    assert balance(client) == Decimal("180.00") + Decimal("119.67")

    staff.staff_cancel(open_task(service), actor=STAFF, now=NOW + timedelta(days=1))
    service.refresh_from_db()
    assert service.status == Status.ACTIVE and service.delete_at is None and service.operation == ""
    assert balance(client) == Decimal("180.00")  # the service is kept: so is the money for it
    assert run_audit() == []

    actions.delete_service(service, actor=STAFF, now=NOW + timedelta(days=2), refund=True)
    confirm(service, NOW + timedelta(days=2))
    # 363 of 365 days unused: 120 × 363/365 = 119.342…
    assert balance(client) == Decimal("180.00") + Decimal("119.34")
    assert run_audit() == []


def test_a_cancelled_reconfiguration_reverses_its_charge_and_restores_the_add_ons(shop: dict[str, Any]) -> None:
    client = shop["client"]
    service = bought(shop)
    orders.change_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=1), addons={"ram": "4"})
    # 3 GiB more for all but a minute of the year: 3 × 20.00 × 0.99999… rounds to 60.00.
    assert balance(client) == Decimal("120.00")
    assert ServiceAddon.objects.get(service=service).quantity == 4

    staff.staff_cancel(open_task(service), actor=STAFF, now=NOW + timedelta(minutes=5))
    assert balance(client) == Decimal("180.00")
    assert ServiceAddon.objects.get(service=service).quantity == 1
    assert Service.objects.get(pk=service.pk).operation == ""
    assert run_audit() == []
    # …and a deletion afterwards refunds the year once.
    actions.delete_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=6))
    confirm(service, NOW + timedelta(minutes=6))
    assert balance(client) == Decimal("300.00")


def test_a_cancelled_tariff_change_restores_the_tariff(shop: dict[str, Any]) -> None:
    client = shop["client"]
    service = bought(shop, ram="3")
    orders.change_service(service, actor=shop["actor"], now=NOW + timedelta(minutes=1), tariff=shop["b"].pk)
    staff.staff_cancel(open_task(service), actor=STAFF, now=NOW + timedelta(minutes=2))
    service.refresh_from_db()
    assert service.tariff_id == shop["a"].pk
    assert [(a.addon_id, a.quantity) for a in service.addons.all()] == [(shop["ram"].pk, 3)]
    assert balance(client) == Decimal("140.00")
    assert run_audit() == []


# --- 4: a service scheduled for deletion is not extended or changed -------------------------------
def test_a_service_scheduled_for_deletion_is_neither_extended_nor_changed(shop: dict[str, Any]) -> None:
    shop["a"].product_type.deletion_when = DeletionWhen.PERIOD_END
    shop["a"].product_type.save()
    client = shop["client"]
    service = bought(shop)
    actions.delete_service(service, actor=shop["actor"], now=NOW + timedelta(days=1))
    service.refresh_from_db()
    assert service.delete_at == service.expires_at

    with pytest.raises(IllegalTransition, match="cancel the scheduled deletion first"):
        orders.extend_service(service, period="year", actor=shop["actor"], now=NOW + timedelta(days=1))
    with pytest.raises(IllegalTransition, match="cancel the scheduled deletion first"):
        renew_service(service, actor=Actor.system("renew"), now=NOW + timedelta(days=1))
    with pytest.raises(IllegalTransition, match="cancel the scheduled deletion first"):
        orders.change_service(service, actor=shop["actor"], now=NOW + timedelta(days=1), addons={"ram": "2"})
    assert balance(client) == Decimal("180.00")

    actions.cancel_scheduled_deletion(service, actor=shop["actor"], now=NOW + timedelta(days=1))
    orders.extend_service(service, period="year", actor=shop["actor"], now=NOW + timedelta(days=1))
    assert balance(client) == Decimal("60.00")


# --- 5: History does not show a module's own error -------------------------------------------------
SECRET = "libvirtError: cannot connect to qemu+ssh://root@10.0.0.7/system"


def test_the_clients_history_never_shows_a_modules_error(shop: dict[str, Any], client: Any) -> None:
    service = bought(shop)
    actions.reboot(service, actor=STAFF, now=NOW)
    actions.note_operation_error(
        service.pk, "reboot", actor=Actor.system("module"), now=NOW, error=SECRET, retry_at=NOW + timedelta(seconds=30)
    )
    actions.fail_operation(service.pk, "reboot", actor=Actor.system("module"), now=NOW, error=SECRET)

    client.force_login(shop["client"].memberships.get().user)
    page = client.get(reverse("clientarea:service_history", args=[service.pk])).content.decode()
    api = client.get(f"/api/v1/services/{service.pk}/history/").content.decode()
    for body in (page, api):
        assert "10.0.0.7" not in body and "libvirtError" not in body
        assert "our staff have been notified" in body and "will be retried at" in body


# --- 6: a staff user who is also a client member acts as the client in the client area ----------
def test_a_staff_member_of_a_client_is_held_to_the_client_deletion_policy(shop: dict[str, Any], client: Any) -> None:
    shop["a"].product_type.deletion_who = DeletionWho.STAFF_ONLY
    shop["a"].product_type.save()
    service = bought(shop)
    user = shop["client"].memberships.get().user
    user.is_staff = True
    user.save()
    client.force_login(user)

    client.post(reverse("clientarea:service_delete", args=[service.pk]))
    answer = client.post(f"/api/v1/services/{service.pk}/delete/")
    assert answer.status_code == 403
    service.refresh_from_db()
    assert service.delete_at is None and service.operation == "" and service.status == Status.ACTIVE
    assert balance(shop["client"]) == Decimal("180.00")
