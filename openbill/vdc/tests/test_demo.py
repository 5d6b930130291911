"""The demo's data center: two machines, one running and one stopped, driven through the worker
and libvirt's test driver like any other."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.provisioning.modules.libvirt_vm import connect, forget_connections
from openbill.services.models import Service
from openbill.vdc import actions, runner, selectors
from openbill.vdc.models import MachineStatus

pytestmark = pytest.mark.django_db


def test_demo_vdc_has_two_machines_that_start_and_stop_on_libvirt() -> None:
    forget_connections()
    call_command("demo", stdout=StringIO())
    dev = Service.objects.get(client__email="alice@demo.test", name="Dev VDC")

    machines = {m.name: m for m in selectors.machines_of(dev)}
    assert {name: m.status for name, m in machines.items()} == {
        "web-1": MachineStatus.RUNNING,
        "db-1": MachineStatus.STOPPED,
    }
    assert selectors.pool_of(dev) == {"cpu": 8, "ram": 16, "disk": 200, "machines": 4, "ipv4": 2}
    assert {name: m.public_ipv4 for name, m in machines.items()} == {"web-1": "192.0.2.2", "db-1": "192.0.2.3"}
    assert machines["web-1"].address.ptr_published == "web-1.dev.alice.test"
    assert [t.name for t in selectors.fitting_templates(dev)] == ["Debian 12", "Ubuntu 24.04"]

    actions.start_machine(machines["db-1"], actor=Actor("client", None, "alice@demo.test"), now=timezone.now())
    now = timezone.now()
    assert [runner.run_operation(pk, now=now) for pk in runner.due_machine_ids(now=now)] == ["done"]
    assert connect("test:///default").lookupByName(machines["db-1"].domain_name).isActive()
    forget_connections()
