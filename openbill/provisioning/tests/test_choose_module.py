"""Choosing the instance that activates a service (BILLmanager reference §3.4), capacity that
Openbill tracks itself, and secrets encrypted at rest and masked."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from openbill.core.crypto import MASK
from openbill.core.tests import factories as f
from openbill.provisioning import actions, capacity
from openbill.provisioning.models import ProcessingModule, ProvisioningTask, TaskState
from openbill.services.choices import Status

from . import factories as pf

pytestmark = pytest.mark.django_db


def running_task(service: Any, module: ProcessingModule) -> None:
    ProvisioningTask.objects.create(
        service=service,
        operation="reboot",
        module=module,
        state=TaskState.RUNNING,
        idempotency_key=f"k{service.pk}",
        created_at=timezone.now(),
    )


def test_an_instance_without_errors_comes_first(provider: Any, vps_plan: Any, alice: Any) -> None:
    broken = pf.module(provider, "manual", vps_plan, name="broken", priority=10, has_errors=True)
    healthy = pf.module(provider, "manual", vps_plan, name="healthy", priority=0)
    order = f.service(alice, vps_plan, status=Status.ORDERED)
    assert actions.choose_module(order) == healthy
    assert broken.pk


def test_an_instance_under_its_running_limit_comes_before_a_busy_one(provider: Any, vps_plan: Any, alice: Any) -> None:
    busy = pf.module(provider, "manual", vps_plan, name="busy", priority=10, max_running=1)
    idle = pf.module(provider, "manual", vps_plan, name="idle", priority=0, max_running=1)
    running_task(f.service(alice, vps_plan, name="other"), busy)
    order = f.service(alice, vps_plan, status=Status.ORDERED)
    assert actions.choose_module(order) == idle


def test_the_attached_instance_comes_before_priority(provider: Any, vps_plan: Any, alice: Any) -> None:
    pf.module(provider, "manual", vps_plan, name="preferred", priority=10)
    attached = pf.module(provider, "manual", vps_plan, name="attached", priority=0)
    order = f.service(alice, vps_plan, status=Status.NOT_AVAILABLE, module=attached)
    assert actions.choose_module(order) == attached


def test_then_priority_then_the_lowest_id(provider: Any, vps_plan: Any, alice: Any) -> None:
    first = pf.module(provider, "manual", vps_plan, name="a", priority=5)
    pf.module(provider, "manual", vps_plan, name="b", priority=5)
    high = pf.module(provider, "manual", vps_plan, name="c", priority=7)
    order = f.service(alice, vps_plan, status=Status.ORDERED)
    assert actions.choose_module(order) == high
    high.enabled = False
    high.save()
    assert actions.choose_module(order) == first


def test_only_instances_linked_to_the_tariff_are_considered(provider: Any, vps_plan: Any, alice: Any) -> None:
    other_plan = f.tariff(vps_plan.product_type, "VPS-2")
    pf.module(provider, "manual", other_plan)
    order = f.service(alice, vps_plan, status=Status.ORDERED)
    assert actions.choose_module(order) is None


def test_capacity_counts_resources_of_live_services_only(provider: Any, vps_plan: Any, alice: Any) -> None:
    host = pf.module(provider, "manual", vps_plan, capacity={"ram": 8, "services": 3})
    ram = f.addon(vps_plan, "ram", prices={"month": "1"}, minimum=1)
    f.service(alice, vps_plan, module=host, addons={ram: "4"})
    f.service(alice, vps_plan, module=host, addons={ram: "2"}, status=Status.SUSPENDED, suspended_by_client=True)
    f.service(alice, vps_plan, module=host, addons={ram: "16"}, status=Status.DELETED)

    used = capacity.allocated([host])[host.pk]
    assert (used["ram"], used["services"]) == (6, 2)

    fits = f.service(alice, vps_plan, status=Status.ORDERED, addons={ram: "2"})
    too_big = f.service(alice, vps_plan, status=Status.ORDERED, addons={ram: "3"})
    assert actions.choose_module(fits) == host
    assert actions.choose_module(too_big) is None


def test_a_service_without_an_add_on_line_needs_the_tariffs_minimum(provider: Any, vps_plan: Any, alice: Any) -> None:
    f.addon(vps_plan, "ram", prices={"month": "1"}, minimum=2, included=1)
    order = f.service(alice, vps_plan, status=Status.ORDERED)
    assert capacity.requirements(order)["ram"] == 2


def test_secrets_are_encrypted_at_rest_and_a_masked_value_keeps_them(provider: Any) -> None:
    host = pf.module(provider, "libvirt", config={"uri": "qemu:///system"}, secrets={"password": "hunter2-long"})

    stored = ProcessingModule.objects.values_list("secrets_encrypted", "config").get(pk=host.pk)
    assert "hunter2-long" not in stored[0] and "hunter2-long" not in str(stored[1])
    assert host.masked_secrets() == {"password": MASK}

    host.set_secrets({"password": MASK})
    host.save()
    assert ProcessingModule.objects.get(pk=host.pk).get_secrets() == {"password": "hunter2-long"}


def test_a_retryable_error_marks_the_instance_and_a_success_clears_it(
    provider: Any, vps_plan: Any, alice: Any, vps_host: Any
) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    actions.get_module("libvirt").open(actions.service_spec(service))
    vps_host.has_errors = True
    vps_host.save()
    now = timezone.now()
    from openbill.services import actions as services

    services.reboot(service, actor=actions.MODULE_ACTOR, now=now)
    assert [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)] == ["done"]
    vps_host.refresh_from_db()
    assert not vps_host.has_errors
