"""Staff pages and admin of provisioning: the work queue (retry, done by hand, cancel), the Not
available list (try now, delete and refund), capacity, a service's staff actions, and module
settings whose secrets are masked in the admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as Browser
from django.utils import timezone

from openbill.billing.actions import charge_service
from openbill.core.crypto import MASK
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.provisioning import actions
from openbill.provisioning.models import ProcessingModule, ProvisioningTask, TaskState
from openbill.services import actions as services
from openbill.services.choices import Status

from . import factories as pf

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(staff: Any) -> Browser:
    web = Browser()
    web.force_login(staff)
    return web


def run_due() -> list[str]:
    now = timezone.now()
    return [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)]


def test_the_queue_lists_a_failed_operation_with_its_error_and_staff_complete_it(
    admin_web: Browser, alice: Any, vps_plan: Any, vps_host: Any
) -> None:
    service = f.service(alice, vps_plan, module=vps_host, name="Broken box")
    services.reboot(service, actor=actions.MODULE_ACTOR, now=timezone.now())
    assert run_due() == ["failed"]
    task = ProvisioningTask.objects.get(service=service)

    page = admin_web.get("/staff/provisioning/queue/").content.decode()
    assert "Broken box" in page and "does not exist" in page

    admin_web.post(f"/staff/provisioning/tasks/{task.pk}/complete/", {"note": "rebooted from the console"})
    task.refresh_from_db()
    service.refresh_from_db()
    assert task.state == TaskState.DONE and service.label == "Active"
    assert service.events.filter(note_kind="text", note_params__text="rebooted from the console").exists()
    assert "Nothing is waiting." in admin_web.get("/staff/provisioning/queue/").content.decode()


def test_staff_retry_and_cancel_from_the_queue(admin_web: Browser, alice: Any, vps_plan: Any, vps_host: Any) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    services.reboot(service, actor=actions.MODULE_ACTOR, now=timezone.now())
    run_due()
    task = ProvisioningTask.objects.get(service=service)

    admin_web.post(f"/staff/provisioning/tasks/{task.pk}/retry/")
    task.refresh_from_db()
    assert task.state == TaskState.QUEUED and task.attempts == 0
    run_due()
    admin_web.post(f"/staff/provisioning/tasks/{task.pk}/cancel/")
    task.refresh_from_db()
    service.refresh_from_db()
    assert task.state == TaskState.CANCELLED and service.operation == ""


def test_not_available_page_lists_waiting_services_and_deletes_with_refund(
    admin_web: Browser, alice: Any, vps_plan: Any, vps_host: Any
) -> None:
    vps_host.capacity = {"services": 0}
    vps_host.save()
    service = f.service(alice, vps_plan, status=Status.ORDERED, name="Waiting box")
    charge_service(
        service, kind="period", key="first", amount=Decimal("10.00"), description=Text.verbatim("x"), now=timezone.now()
    )
    services.request_activation(service, actor=actions.MODULE_ACTOR, now=timezone.now())
    assert run_due() == ["not_available"]
    alice.refresh_from_db()
    balance = alice.balance_amount

    assert "Waiting box" in admin_web.get("/staff/provisioning/not-available/").content.decode()
    admin_web.post(f"/staff/provisioning/services/{service.pk}/", {"verb": "delete"})

    service.refresh_from_db()
    alice.refresh_from_db()
    assert service.status == Status.DELETED and alice.balance_amount == balance + Decimal("10.00")


def test_capacity_page_shows_allocation_against_limits(
    admin_web: Browser, alice: Any, vps_plan: Any, vps_host: Any
) -> None:
    vps_host.capacity = {"ram": 32, "services": 10}
    vps_host.save()
    ram = f.addon(vps_plan, "ram", prices={"month": "1"})
    f.service(alice, vps_plan, module=vps_host, addons={ram: "6"})

    page = admin_web.get("/staff/provisioning/capacity/").content.decode()
    assert "Host 1" in page and "<td>ram</td><td>6</td><td>32</td>" in page.replace("\n", "")


def test_staff_suspend_and_delete_from_the_service_page(
    admin_web: Browser, alice: Any, vps_plan: Any, vps_host: Any
) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    admin_web.post(f"/staff/provisioning/services/{service.pk}/", {"verb": "suspend"})
    service.refresh_from_db()
    assert service.suspended_by_admin

    admin_web.post(f"/staff/provisioning/services/{service.pk}/", {"verb": "delete", "when": "period_end"})
    service.refresh_from_db()
    assert service.delete_at == service.expires_at


def test_clients_cannot_open_staff_pages(alice_user: Any) -> None:
    web = Browser()
    web.force_login(alice_user)
    for url in ("/staff/provisioning/queue/", "/staff/provisioning/not-available/", "/staff/provisioning/capacity/"):
        assert web.get(url).status_code == 302


def test_admin_masks_secrets_and_keeps_them_when_the_mask_is_saved(admin_web: Browser, provider: Any) -> None:
    module = pf.module(
        provider, "libvirt", name="Node", config={"uri": "qemu:///system"}, secrets={"password": "s3cr3t-pw"}
    )

    form = admin_web.get(f"/admin/provisioning/processingmodule/{module.pk}/change/").content.decode()
    assert "s3cr3t-pw" not in form and f"password={MASK}" in form

    answer = admin_web.post(
        f"/admin/provisioning/processingmodule/{module.pk}/change/",
        {
            "name": "Node",
            "kind": "libvirt",
            "provider": provider.pk,
            "config": '{"uri": "qemu:///system"}',
            "capacity": "{}",
            "max_running": 2,
            "priority": 0,
            "enabled": "on",
            "secrets": f"password={MASK}\nusername=root",
        },
    )
    assert answer.status_code == 302
    assert ProcessingModule.objects.get(pk=module.pk).get_secrets() == {"password": "s3cr3t-pw", "username": "root"}


def test_admin_refuses_a_secret_in_the_plain_settings(admin_web: Browser, provider: Any) -> None:
    answer = admin_web.post(
        "/admin/provisioning/processingmodule/add/",
        {
            "name": "Leaky",
            "kind": "libvirt",
            "provider": provider.pk,
            "config": '{"uri": "qemu:///system", "password": "plain"}',
            "capacity": "{}",
            "max_running": 2,
            "priority": 0,
        },
    )
    assert answer.status_code == 200 and "is secret" in answer.content.decode()
    assert not ProcessingModule.objects.filter(name="Leaky").exists()


def _queries(web: Browser, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert web.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/staff/provisioning/queue/", "/staff/provisioning/not-available/", "/api/v1/staff/tasks/"]
)
def test_staff_lists_make_the_same_queries_for_n_and_2n_rows(
    url: str, admin_web: Browser, alice: Any, vps_plan: Any, provider: Any
) -> None:
    manual = pf.module(provider, "manual", vps_plan)

    def add(count: int) -> None:
        for _ in range(count):
            f.service(alice, vps_plan, status=Status.NOT_AVAILABLE)
            busy = f.service(alice, vps_plan, module=manual)
            services.reboot(busy, actor=actions.MODULE_ACTOR, now=timezone.now())
        run_due()

    add(3)
    first = _queries(admin_web, url)
    add(3)
    assert _queries(admin_web, url) == first


def test_check_connection_warns_when_a_limit_exceeds_the_host(
    admin_web: Browser, provider: Any, libvirt_uri: str
) -> None:
    module = pf.module(provider, "libvirt", name="Small host", config={"uri": libvirt_uri}, capacity={"ram": 64})

    answer = admin_web.post(
        "/admin/provisioning/processingmodule/",
        {"action": "check_connection", "_selected_action": [module.pk]},
        follow=True,
    )

    text = answer.content.decode()
    assert "Small host: OK" in text
    assert "the limit for ram (64) is above what the host reports (16)" in text
