"""The demo's provisioning: VPS tariffs on a libvirt test-driver node, the rest manual."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.provisioning import actions
from openbill.provisioning.modules.libvirt_vm import forget_connections
from openbill.services import actions as services
from openbill.services.models import Service

pytestmark = pytest.mark.django_db


def run_due() -> list[str]:
    now = timezone.now()
    return [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)]


def test_demo_reboot_runs_on_libvirt_and_in_progress_services_wait_for_staff() -> None:
    forget_connections()
    call_command("demo", stdout=StringIO())
    alice = Service.objects.filter(client__email="alice@demo.test")
    in_progress = set(alice.exclude(operation="").values_list("pk", flat=True))

    assert set(run_due()) == {"staff"}  # the seven demo operations are manual work
    assert set(alice.exclude(operation="").values_list("pk", flat=True)) == in_progress

    web = alice.get(name="Web server")
    assert web.module is not None and web.module.kind == "libvirt"
    services.reboot(web, actor=Actor("client", None, "alice@demo.test"), now=timezone.now())
    assert run_due() == ["done"]
    web.refresh_from_db()
    assert web.label == "Active"

    assert actions.retry_not_available(now=timezone.now()) == 0  # 64 GiB never fits the 32 GiB node
    assert alice.get(name="Big server").label == "Not available"
    forget_connections()
