"""The client's and staff's lifecycle actions: suspend / resume (each reason lifted by its
owner), reboot, deletion per the product type's policy (who, when, refund), all in History."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind
from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition, NotAllowed
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.provisioning import staff
from openbill.provisioning.models import ProvisioningTask
from openbill.services import actions
from openbill.services.automation import engine
from openbill.services.choices import Status, SuspendReason
from openbill.services.models import Service

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ALICE = Actor("client", None, "alice@test.test")
STAFF = Actor("staff", None, "staff@test.test")


@pytest.fixture
def manual(provider: Any, vps_plan: Any) -> Any:
    from openbill.provisioning.models import ProcessingModule

    module = ProcessingModule.objects.create(provider=provider, kind="manual", name="Manual")
    module.tariffs.add(vps_plan)
    return module


def server(alice: Any, vps_plan: Any, manual: Any, **kwargs: Any) -> Service:
    """An active server paid from 1 March to 1 April (31 days for 31.00)."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    service = f.service(alice, vps_plan, module=manual, expires_at=end, **kwargs)
    charge_service(
        service,
        kind=ExpenseKind.PERIOD,
        key=start.isoformat(),
        amount=Decimal("31.00"),
        description=Text.verbatim("March"),
        now=start,
        period_start=start,
        period_end=end,
    )
    service.client.refresh_from_db()
    return service


def confirm(service: Service, now: datetime = NOW) -> Service:
    """The module (here: staff through the manual module) confirms the open operation."""
    task = ProvisioningTask.objects.get(service=service, state__in=["queued", "waiting_staff"])
    staff.staff_complete(task, actor=STAFF, now=now)
    return Service.objects.get(pk=service.pk)


_runs = itertools.count()


def deleting(at: datetime) -> int:
    """How many services the lifecycle sweep's delete stage starts deleting at ``at``."""
    result = engine.run_inline("delete", at=at, run_key=f"test:{next(_runs)}", chain=False)
    return int(result["delete"].get("deleting", 0))


def kinds(service: Service) -> list[str]:
    return list(service.events.order_by("at", "id").values_list("kind", flat=True))


def test_client_suspends_then_resumes_its_service(alice: Any, vps_plan: Any, manual: Any) -> None:
    service = server(alice, vps_plan, manual)

    actions.suspend(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)
    service.refresh_from_db()
    assert service.label == "In progress (suspension)" and service.status == Status.ACTIVE
    service = confirm(service)
    assert service.label == "Suspended"

    actions.resume(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)
    assert confirm(service).label == "Active"
    assert kinds(service) == [
        "suspension requested",
        "operation started",
        "status",
        "suspension lifted",
        "operation started",
        "status",
    ]


def test_client_cannot_lift_the_administrators_suspension(alice: Any, vps_plan: Any, manual: Any) -> None:
    service = server(alice, vps_plan, manual)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)
    confirm(service)

    with pytest.raises(IllegalTransition):
        actions.resume(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)
    with pytest.raises(NotAllowed):
        actions.resume(service, reason=SuspendReason.ADMIN, actor=ALICE, now=NOW)
    assert Service.objects.get(pk=service.pk).label == "Suspended by administrator"


def test_a_service_stopped_by_client_and_staff_resumes_only_when_both_lift(
    alice: Any, vps_plan: Any, manual: Any
) -> None:
    service = server(alice, vps_plan, manual)
    actions.suspend(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)
    confirm(service)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)

    actions.resume(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)
    service.refresh_from_db()
    assert service.status == Status.SUSPENDED and service.operation == ""

    actions.resume(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)
    assert confirm(service).label == "Active"


def test_client_cannot_suspend_when_the_product_type_forbids_it(alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.client_can_suspend = False
    vps_plan.product_type.save()
    service = server(alice, vps_plan, manual)

    with pytest.raises(NotAllowed):
        actions.suspend(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)
    assert Service.objects.get(pk=service.pk).suspend_reasons == frozenset()


def test_reboot_shows_in_progress_until_confirmed(alice: Any, vps_plan: Any, manual: Any) -> None:
    service = server(alice, vps_plan, manual)

    actions.reboot(service, actor=ALICE, now=NOW)
    assert Service.objects.get(pk=service.pk).label == "In progress (reboot)"
    assert confirm(service).label == "Active"
    assert "operation done" in kinds(service)


def test_reboot_is_for_servers_only(alice: Any, provider: Any) -> None:
    hosting = f.tariff(f.product_type(provider, "hosting"), "Hosting")
    service = f.service(alice, hosting)
    with pytest.raises(NotAllowed):
        actions.reboot(service, actor=ALICE, now=NOW)


def test_a_second_operation_while_one_runs_is_a_conflict(alice: Any, vps_plan: Any, manual: Any) -> None:
    service = server(alice, vps_plan, manual)
    actions.reboot(service, actor=ALICE, now=NOW)
    with pytest.raises(IllegalTransition):
        actions.reboot(service, actor=ALICE, now=NOW)
    actions.suspend(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)  # recorded, waits
    service.refresh_from_db()
    assert service.label == "In progress (reboot)" and service.suspend_reasons == {SuspendReason.CLIENT}


def test_a_suspended_service_cannot_be_suspended_by_the_client_or_rebooted(
    alice: Any, vps_plan: Any, manual: Any
) -> None:
    service = server(alice, vps_plan, manual)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)
    confirm(service)
    with pytest.raises(IllegalTransition):
        actions.suspend(service, reason=SuspendReason.CLIENT, actor=ALICE, now=NOW)
    with pytest.raises(IllegalTransition):
        actions.reboot(service, actor=ALICE, now=NOW)


def test_client_deletes_now_with_the_unused_part_refunded(alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.refund_unused = True
    vps_plan.product_type.save()
    service = server(alice, vps_plan, manual)
    balance = alice.balance_amount

    actions.delete_service(service, actor=ALICE, now=NOW)  # 10 March 12:00: 21.5 of 31 days unused

    service.refresh_from_db()
    alice.refresh_from_db()
    assert service.label == "In progress (deletion)" and service.auto_renew is False
    assert alice.balance_amount == balance + Decimal("21.50")
    assert Expense.objects.get(service=service, kind=ExpenseKind.REFUND).amount == Decimal("-21.50")
    assert confirm(service).status == Status.DELETED
    assert kinds(service)[:3] == ["deletion requested", "refund", "operation started"]
    # Asking again changes nothing: the refund's business key is the deletion.
    with pytest.raises(IllegalTransition):
        actions.delete_service(service, actor=ALICE, now=NOW + timedelta(hours=1))
    alice.refresh_from_db()
    assert alice.balance_amount == balance + Decimal("21.50")


def test_client_deletes_now_without_refund_when_the_policy_keeps_the_money(
    alice: Any, vps_plan: Any, manual: Any
) -> None:
    service = server(alice, vps_plan, manual)
    balance = alice.balance_amount

    actions.delete_service(service, actor=ALICE, now=NOW)

    alice.refresh_from_db()
    assert alice.balance_amount == balance
    assert not Expense.objects.filter(service=service, kind=ExpenseKind.REFUND).exists()


def test_client_deletes_at_the_end_of_the_paid_period(alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.deletion_when = "period_end"
    vps_plan.product_type.refund_unused = True  # nothing is unused at the end of the period
    vps_plan.product_type.save()
    service = server(alice, vps_plan, manual)
    balance = alice.balance_amount

    actions.delete_service(service, actor=ALICE, now=NOW)

    service.refresh_from_db()
    assert service.delete_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert service.label == "Active" and service.auto_renew is False
    assert kinds(service)[-1] == "deletion scheduled"
    assert deleting(NOW + timedelta(days=5)) == 0

    assert deleting(datetime(2026, 4, 1, tzinfo=UTC)) == 1
    assert deleting(datetime(2026, 4, 1, tzinfo=UTC)) == 0  # once
    assert confirm(service, datetime(2026, 4, 1, tzinfo=UTC)).status == Status.DELETED
    alice.refresh_from_db()
    assert alice.balance_amount == balance


def test_client_can_keep_a_service_scheduled_for_deletion(alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.deletion_when = "period_end"
    vps_plan.product_type.save()
    service = server(alice, vps_plan, manual)
    actions.delete_service(service, actor=ALICE, now=NOW)

    actions.cancel_scheduled_deletion(service, actor=ALICE, now=NOW)

    service.refresh_from_db()
    assert service.delete_at is None
    assert deleting(datetime(2026, 4, 2, tzinfo=UTC)) == 0
    with pytest.raises(IllegalTransition):
        actions.cancel_scheduled_deletion(service, actor=ALICE, now=NOW)


def test_client_cannot_delete_when_only_staff_may(alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.deletion_who = "staff"
    vps_plan.product_type.save()
    service = server(alice, vps_plan, manual)

    with pytest.raises(NotAllowed):
        actions.delete_service(service, actor=ALICE, now=NOW)

    actions.delete_service(service, actor=STAFF, now=NOW)  # staff may, at once
    assert Service.objects.get(pk=service.pk).label == "In progress (deletion)"


def test_staff_may_delete_at_period_end_and_choose_the_refund(alice: Any, vps_plan: Any, manual: Any) -> None:
    service = server(alice, vps_plan, manual)
    balance = alice.balance_amount

    actions.delete_service(service, actor=STAFF, now=NOW, refund=True)

    alice.refresh_from_db()
    assert alice.balance_amount == balance + Decimal("21.50")


def test_deleting_a_service_during_another_operation_follows_it(alice: Any, vps_plan: Any, manual: Any) -> None:
    service = server(alice, vps_plan, manual)
    actions.reboot(service, actor=ALICE, now=NOW)

    actions.delete_service(service, actor=ALICE, now=NOW)
    assert Service.objects.get(pk=service.pk).label == "In progress (reboot)"

    service = confirm(service)
    assert service.label == "In progress (deletion)"
    assert confirm(service).status == Status.DELETED


def test_deleting_an_unpaid_order_needs_no_remote_work(alice: Any, vps_plan: Any, manual: Any) -> None:
    order = f.service(alice, vps_plan, status=Status.ORDERED)

    actions.delete_service(order, actor=ALICE, now=NOW)

    order.refresh_from_db()
    assert order.status == Status.DELETED and not ProvisioningTask.objects.filter(service=order).exists()


def test_a_deleted_service_cannot_be_suspended_or_deleted_again(alice: Any, vps_plan: Any, manual: Any) -> None:
    order = f.service(alice, vps_plan, status=Status.ORDERED)
    actions.delete_service(order, actor=ALICE, now=NOW)
    with pytest.raises(IllegalTransition):
        actions.delete_service(order, actor=ALICE, now=NOW)
    with pytest.raises(IllegalTransition):
        actions.suspend(order, reason=SuspendReason.ADMIN, actor=STAFF, now=NOW)


@pytest.mark.parametrize(
    ("now", "unused"),
    [
        (datetime(2026, 3, 1, tzinfo=UTC), "31.00"),  # nothing used yet
        (datetime(2026, 3, 16, 12, tzinfo=UTC), "15.50"),  # 15.5 of 31 days left
        (datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), "0.00"),  # one second left: rounds to zero
        (datetime(2026, 4, 1, tzinfo=UTC), "0"),
    ],
)
def test_unused_part_prorated_by_seconds(alice: Any, vps_plan: Any, manual: Any, now: datetime, unused: str) -> None:
    from openbill.core.money import round_amount

    service = server(alice, vps_plan, manual)
    assert round_amount(actions.unused_amount(service, now=now), "USD") == Decimal(unused)


def test_staff_cancelling_a_deletion_keeps_the_service_for_good(alice: Any, vps_plan: Any, manual: Any) -> None:
    service = server(alice, vps_plan, manual)
    actions.delete_service(service, actor=ALICE, now=NOW)

    staff.staff_cancel(ProvisioningTask.objects.get(service=service), actor=STAFF, now=NOW)

    service.refresh_from_db()
    assert (service.label, service.delete_at) == ("Active", None)
    assert deleting(NOW + timedelta(days=1)) == 0
