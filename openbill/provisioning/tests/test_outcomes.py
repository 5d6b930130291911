"""What the client and staff see when a module succeeds, times out, fails for good, or has no
room: the service's status, its History, the staff queue and the client's money."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import libvirt
import pytest
from django.utils import timezone

from openbill.billing.models import Expense, ExpenseKind
from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.provisioning import actions, staff
from openbill.provisioning.models import ProvisioningTask, TaskState
from openbill.provisioning.modules import Module, ModuleError, ServiceSpec, register
from openbill.provisioning.modules.libvirt_vm import connect
from openbill.services import actions as services
from openbill.services.choices import Status, SuspendReason
from openbill.services.models import Service

from . import factories as pf

pytestmark = pytest.mark.django_db
W = "test-worker"
STAFF = Actor("staff", None, "staff@test.test")
ALICE = Actor("client", None, "alice@test.test")


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """A real TCP server that accepts connections and never answers: a panel that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()
    server.close()


@register
class HangingPanel(Module):
    """A panel reached over TCP with a short timeout (the real socket times out)."""

    name = "test-hanging-panel"

    def _call(self, spec: ServiceSpec) -> dict[str, Any]:
        try:
            with socket.create_connection((spec.config["host"], spec.config["port"]), timeout=0.2) as conn:
                conn.sendall(b"REBOOT\n")
                conn.recv(1)
        except TimeoutError as exc:
            raise ModuleError(f"panel timed out: {exc}", retryable=True) from None
        return {}

    open = reboot = suspend = resume = close = _call


def run_due(now: Any) -> list[str]:
    return [actions.run(pk, worker=W, now=now) for pk in actions.due_task_ids(now=now)]


def paid_order(alice: Any, plan: Any) -> Service:
    """An ordered service whose first month alice has paid (10.00)."""
    service = f.service(alice, plan, status=Status.ORDERED, name="Web server")
    from openbill.billing.actions import charge_service

    charge_service(
        service,
        kind=ExpenseKind.PERIOD,
        key="first",
        amount=Decimal("10.00"),
        description=Text.verbatim("first"),
        now=timezone.now(),
    )
    return service


def test_activation_defines_the_machine_and_makes_the_service_active(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    now = timezone.now()
    service = paid_order(alice, vps_plan)

    services.request_activation(service, actor=ALICE, now=now)
    assert Service.objects.get(pk=service.pk).label == "In progress (activation)"
    assert run_due(now) == ["done"]

    service.refresh_from_db()
    assert service.status == Status.ACTIVE and service.operation == ""
    assert service.module == vps_host and service.remote_id == f"openbill-{service.pk}"
    assert connect(vps_host.config["uri"]).lookupByName(service.remote_id).isActive()


def test_a_module_that_times_out_is_retried_with_backoff_and_nothing_changes(
    alice: Any, vps_plan: Any, provider: Any, silent_server: tuple[str, int]
) -> None:
    host, port = silent_server
    panel = pf.module(provider, "test-hanging-panel", vps_plan, config={"host": host, "port": port})
    service = f.service(alice, vps_plan, module=panel)
    balance = alice.balance_amount
    now = timezone.now()

    services.reboot(service, actor=ALICE, now=now)
    assert run_due(now) == ["retry"]

    service.refresh_from_db()
    task = ProvisioningTask.objects.get(service=service)
    assert service.status == Status.ACTIVE and service.label == "In progress (reboot)"
    assert (task.state, task.attempts, task.next_attempt_at) == (TaskState.QUEUED, 1, now + timedelta(seconds=30))
    assert "timed out" in task.last_error
    # History (the client's) says when it is tried again; the module's words stay with staff.
    error_event = service.events.get(kind="operation error")
    assert "timed out" not in error_event.note and "retried at" in error_event.note
    # Not due yet: nothing runs. Then the second attempt waits twice as long.
    assert run_due(now + timedelta(seconds=29)) == []
    assert run_due(now + timedelta(seconds=30)) == ["retry"]
    task.refresh_from_db()
    assert task.next_attempt_at == now + timedelta(seconds=90)
    alice.refresh_from_db()
    assert alice.balance_amount == balance
    panel.refresh_from_db()
    assert panel.has_errors and "timed out" in panel.last_error


def test_a_permanent_failure_waits_for_staff_with_the_error_in_progress(
    alice: Any, vps_plan: Any, vps_host: Any
) -> None:
    service = f.service(alice, vps_plan, module=vps_host, remote_id="openbill-gone")  # no such machine
    now = timezone.now()

    services.reboot(service, actor=ALICE, now=now)
    assert run_due(now) == ["failed"]

    service.refresh_from_db()
    task = ProvisioningTask.objects.get(service=service)
    assert task.state == TaskState.WAITING_STAFF and "does not exist" in task.last_error
    assert service.label == "In progress (reboot)" and service.status == Status.ACTIVE
    assert list(staff.staff_queue()) == [task]
    failed = service.events.get(kind="operation failed")
    assert "does not exist" not in failed.note and "staff have been notified" in failed.note
    assert run_due(now + timedelta(hours=2)) == []  # no automatic retry of a permanent error


def test_staff_retry_runs_the_operation_again(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    now = timezone.now()
    services.reboot(service, actor=ALICE, now=now)
    run_due(now)
    task = ProvisioningTask.objects.get(service=service)
    assert task.state == TaskState.WAITING_STAFF
    # Staff create the machine by hand, then retry.
    actions.get_module("libvirt").open(actions.service_spec(service))

    staff.staff_retry(task, actor=STAFF, now=now)
    assert run_due(now) == ["done"]

    service.refresh_from_db()
    assert service.label == "Active"
    assert service.events.filter(kind="operation retried").exists()


def test_staff_complete_by_hand_applies_the_operation(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    now = timezone.now()
    services.suspend(service, reason=SuspendReason.ADMIN, actor=STAFF, now=now)
    run_due(now)
    task = ProvisioningTask.objects.get(service=service)
    assert task.state == TaskState.WAITING_STAFF

    staff.staff_complete(task, actor=STAFF, now=now, note="paused by hand")

    service.refresh_from_db()
    assert service.status == Status.SUSPENDED and service.label == "Suspended by administrator"
    assert not staff.staff_queue().exists()


def test_staff_cancel_keeps_the_last_confirmed_status(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    now = timezone.now()
    services.reboot(service, actor=ALICE, now=now)
    run_due(now)
    task = ProvisioningTask.objects.get(service=service)

    staff.staff_cancel(task, actor=STAFF, now=now)

    service.refresh_from_db()
    assert (service.status, service.operation, service.label) == (Status.ACTIVE, "", "Active")
    with pytest.raises(IllegalTransition):
        staff.staff_cancel(task, actor=STAFF, now=now)


def test_without_capacity_the_service_is_not_available_and_stays_charged(
    alice: Any, vps_plan: Any, vps_host: Any, libvirt_uri: str
) -> None:
    vps_host.capacity = {"services": 1}
    vps_host.save()
    f.service(alice, vps_plan, module=vps_host, name="Already there")
    service = paid_order(alice, vps_plan)
    alice.refresh_from_db()
    balance = alice.balance_amount
    now = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)

    services.request_activation(service, actor=ALICE, now=now)
    assert run_due(now) == ["not_available"]

    service.refresh_from_db()
    alice.refresh_from_db()
    assert service.label == "Not available" and service.module is None and service.expires_at is None
    assert alice.balance_amount == balance  # stays charged while it waits; no paid time is lost
    assert list(staff.not_available_services()) == [service]
    assert service.events.filter(kind="status", to_status=Status.NOT_AVAILABLE).exists()
    with pytest.raises(libvirt.libvirtError):
        connect(libvirt_uri).lookupByName(f"openbill-{service.pk}")

    # Still full: the sweep leaves it alone, without History noise.
    events = service.events.count()
    assert actions.retry_not_available(now=now) == 0
    assert service.events.count() == events

    # Room appears: the sweep activates it, and its paid period starts then.
    vps_host.capacity = {"services": 2}
    vps_host.save()
    later = now + timedelta(hours=3)
    assert actions.retry_not_available(now=later) == 1
    assert run_due(later) == ["done"]
    service.refresh_from_db()
    assert service.status == Status.ACTIVE and service.module == vps_host
    assert service.activated_at == later  # the paid month starts now, not at the order
    assert service.expires_at == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)  # a calendar month, clamped


def test_staff_deleting_a_not_available_service_returns_its_money(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    vps_host.capacity = {"ram": 1}
    vps_host.save()
    ram = f.addon(vps_plan, "ram", prices={"month": "2.00"})
    service = paid_order(alice, vps_plan)
    service.addons.create(addon=ram, quantity=4)
    alice.refresh_from_db()
    paid_balance = alice.balance_amount
    now = timezone.now()
    services.request_activation(service, actor=ALICE, now=now)
    assert run_due(now) == ["not_available"]

    services.delete_service(service, actor=STAFF, now=now)

    service.refresh_from_db()
    alice.refresh_from_db()
    assert service.status == Status.DELETED
    assert alice.balance_amount == paid_balance + Decimal("10.00")
    assert Expense.objects.get(service=service, kind=ExpenseKind.REFUND).amount == Decimal("-10.00")


def test_staff_cancelling_an_activation_cancels_the_order_and_refunds(alice: Any, vps_plan: Any, provider: Any) -> None:
    pf.module(provider, "manual", vps_plan)
    service = paid_order(alice, vps_plan)
    alice.refresh_from_db()
    balance = alice.balance_amount
    now = timezone.now()
    services.request_activation(service, actor=ALICE, now=now)
    assert run_due(now) == ["staff"]

    staff.staff_cancel(ProvisioningTask.objects.get(service=service), actor=STAFF, now=now)

    service.refresh_from_db()
    alice.refresh_from_db()
    assert service.status == Status.DELETED
    assert alice.balance_amount == balance + Decimal("10.00")


def test_manual_module_puts_every_operation_in_the_staff_queue(alice: Any, vps_plan: Any, provider: Any) -> None:
    manual = pf.module(provider, "manual", vps_plan)
    service = paid_order(alice, vps_plan)
    now = timezone.now()
    services.request_activation(service, actor=ALICE, now=now)

    assert run_due(now) == ["staff"]
    task = ProvisioningTask.objects.get(service=service)
    assert task.module == manual and task.last_error == ""
    staff.staff_complete(task, actor=STAFF, now=now)
    service.refresh_from_db()
    assert service.status == Status.ACTIVE


def test_a_worker_that_died_mid_call_loses_nothing(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    actions.get_module("libvirt").open(actions.service_spec(service))
    now = timezone.now()
    services.reboot(service, actor=ALICE, now=now)
    task = ProvisioningTask.objects.get(service=service)
    assert actions.claim(task.pk, worker="dead", now=now) is not None  # claimed, then killed

    assert run_due(now) == []  # leased: nobody else runs it
    assert actions.reap(now=now + actions.LEASE + timedelta(seconds=1)) == 1
    assert run_due(now + actions.LEASE + timedelta(seconds=1)) == ["done"]
    service.refresh_from_db()
    assert service.label == "Active"


def test_certificates_ending_before_the_paid_period_are_reissued_once(alice: Any, provider: Any) -> None:
    from openbill.provisioning.models import Certificate

    plan = f.tariff(f.product_type(provider, "ssl"), "SSL", prices={"year": "10.00"})
    now = timezone.now()
    yearly = f.service(alice, plan, expires_at=now + timedelta(days=300), name="paid for a year")
    ending = f.service(alice, plan, expires_at=now + timedelta(days=10), name="ends with its certificate")
    for service, days_left in ((yearly, 20), (ending, 20)):
        Certificate.objects.create(
            service=service,
            domain="x.test",
            serial=str(service.pk),
            certificate_pem="-",
            not_after=now + timedelta(days=days_left),
            issued_at=now,
        )

    assert actions.reissue_due_certificates(now=now) == 1
    assert actions.reissue_due_certificates(now=now) == 0  # its renewal is under way

    yearly.refresh_from_db()
    ending.refresh_from_db()
    assert (yearly.operation, ending.operation) == ("renewal", "")


def test_an_instance_runs_at_most_its_operations_at_once(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    vps_host.max_running = 1
    vps_host.save()
    first = f.service(alice, vps_plan, module=vps_host, name="first")
    second = f.service(alice, vps_plan, module=vps_host, name="second")
    for service in (first, second):
        actions.get_module("libvirt").open(actions.service_spec(service))
    now = timezone.now()
    services.reboot(first, actor=ALICE, now=now)
    services.reboot(second, actor=ALICE, now=now)
    one, two = ProvisioningTask.objects.filter(service__in=[first, second]).order_by("service_id")
    assert actions.claim(one.pk, worker="w1", now=now) is not None  # running on its worker

    assert actions.run(two.pk, worker="w2", now=now) == "busy"
    two.refresh_from_db()
    assert two.state == TaskState.QUEUED and two.next_attempt_at == now + actions.BUSY_DELAY

    actions.complete(one, now=now, result={}, actor=actions.MODULE_ACTOR, worker="w1")
    assert run_due(now + actions.BUSY_DELAY) == ["done"]
    second.refresh_from_db()
    assert second.label == "Active"


def test_a_change_of_resources_resizes_the_machine_when_it_fits_else_waits_for_staff(
    alice: Any, vps_plan: Any, vps_host: Any, libvirt_uri: str
) -> None:
    from django.db import transaction

    vps_host.capacity = {"ram": 8}
    vps_host.save()
    ram = f.addon(vps_plan, "ram", prices={"month": "1"})
    service = f.service(alice, vps_plan, module=vps_host, addons={ram: "2"})
    actions.get_module("libvirt").open(actions.service_spec(service))
    line = service.addons.get()

    def resize(size: str) -> str:
        line.quantity = Decimal(size)
        line.save()
        now = timezone.now()
        with transaction.atomic():
            services.start_operation(services.lock(service), "reconfiguration", actor=ALICE, now=now)
        return run_due(now)[0]

    assert resize("6") == "done"
    assert connect(libvirt_uri).lookupByName(f"openbill-{service.pk}").info()[1] == 6 * 1024 * 1024

    assert resize("12") == "failed"
    task = ProvisioningTask.objects.filter(service=service).latest("pk")
    assert task.state == TaskState.WAITING_STAFF and "no room" in task.last_error
    assert connect(libvirt_uri).lookupByName(f"openbill-{service.pk}").info()[1] == 6 * 1024 * 1024
