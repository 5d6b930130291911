"""Two workers claiming two different tasks of one instance that runs one operation at a time
(``max_running`` 1), at once (PostgreSQL): the instance's row lock lets one take the place and
tells the other it is busy. The first claim is stopped inside its transaction, just after it
counted the running tasks (openbill.core.tests.interleave).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models.query import QuerySet
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.tests.interleave import interleave
from openbill.provisioning import actions
from openbill.provisioning.models import ProvisioningTask, TaskState
from openbill.services import actions as services

from . import factories as pf


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_different_tasks_of_a_one_at_a_time_instance_run_one(alice: Any, vps_plan: Any) -> None:
    host = pf.module(alice.provider, "manual", vps_plan, name="one at a time", max_running=1)
    now = timezone.now()
    tasks = []
    for name in ("first", "second"):
        service = f.service(alice, vps_plan, module=host, name=name)
        services.reboot(service, actor=Actor.system(), now=now)
        tasks.append(ProvisioningTask.objects.get(service=service).pk)

    first, second = interleave(
        lambda: actions.claim(tasks[0], worker="a", now=now),
        lambda: actions.claim(tasks[1], worker="b", now=now),
        pause=(QuerySet, "count"),
    )

    assert isinstance(first, ProvisioningTask) and first.pk == tasks[0]
    assert isinstance(second, actions.Busy), second
    states = dict(ProvisioningTask.objects.filter(pk__in=tasks).values_list("pk", "state"))
    assert states == {tasks[0]: TaskState.RUNNING, tasks[1]: TaskState.QUEUED}
