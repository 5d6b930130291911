"""Two workers at once (PostgreSQL, threads released together by a barrier): a task runs once;
the last free slot of an instance goes to one activation, the other service is Not available."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.tests.concurrency import together
from openbill.provisioning import actions
from openbill.provisioning.models import ProvisioningTask
from openbill.services import actions as services
from openbill.services.choices import Status
from openbill.services.models import Service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_run_one_task_once(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    service = f.service(alice, vps_plan, module=vps_host)
    actions.get_module("libvirt").open(actions.service_spec(service))
    now = timezone.now()
    services.reboot(service, actor=Actor.system(), now=now)
    task = ProvisioningTask.objects.get(service=service)

    results = together(
        lambda: actions.run(task.pk, worker="a", now=now), lambda: actions.run(task.pk, worker="b", now=now)
    )

    # One claims and calls the module; the other finds the task taken and calls nothing.
    assert sorted(map(str, results)) == ["done", "skipped"]
    assert service.events.filter(kind="operation done").count() == 1


def test_the_last_slot_goes_to_one_activation(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    vps_host.capacity = {"services": 1}
    vps_host.save()
    now = timezone.now()
    first = f.service(alice, vps_plan, status=Status.ORDERED, name="first")
    second = f.service(alice, vps_plan, status=Status.ORDERED, name="second")
    for service in (first, second):
        services.request_activation(service, actor=Actor.system(), now=now)
    tasks = list(ProvisioningTask.objects.filter(service__in=[first, second]).values_list("pk", flat=True))

    results = together(*(lambda pk=pk: actions.run(pk, worker=f"w{pk}", now=now) for pk in tasks))

    assert sorted(map(str, results)) == ["done", "not_available"]
    statuses = sorted(Service.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == [Status.ACTIVE, Status.NOT_AVAILABLE]
    assert Service.objects.filter(module=vps_host).exclude(status=Status.NOT_AVAILABLE).count() == 1
