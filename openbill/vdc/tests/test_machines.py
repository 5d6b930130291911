"""Machines of a VDC as real libvirt domains (test driver), the pool's limits, and the VDC's
suspension, resume and deletion reaching its machines."""

from __future__ import annotations

from typing import Any

import libvirt
import pytest
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition
from openbill.provisioning import actions as provisioning
from openbill.provisioning.modules.libvirt_vm import connect
from openbill.services import actions as services
from openbill.services.choices import Status, SuspendReason
from openbill.vdc import actions, runner, selectors
from openbill.vdc.models import Machine, MachineStatus

CLIENT = Actor.system("test")


def run_machines() -> list[str]:
    now = timezone.now()
    return [runner.run_operation(pk, now=now) for pk in runner.due_machine_ids(now=now)]


def run_provisioning() -> list[str]:
    now = timezone.now()
    return [provisioning.run(pk, worker="w", now=now) for pk in provisioning.due_task_ids(now=now)]


def create(vdc: Any, template: Any, name: str, cpu: int = 1, ram: int = 1, disk: int = 10) -> Machine:
    return actions.create_machine(
        vdc, name=name, template=template, cpu=cpu, ram=ram, disk=disk, actor=CLIENT, now=timezone.now()
    )


def domain(uri: str, machine: Machine) -> libvirt.virDomain:
    return connect(uri).lookupByName(f"openbill-vdc{machine.service_id}-{machine.pk}")


def test_pool_comes_from_the_tariff_and_add_ons(alice_vdc: Any, vdc_plan: Any) -> None:
    from openbill.services.models import ServiceAddon

    ServiceAddon.objects.create(service=alice_vdc, addon=vdc_plan.addons.get(resource="cpu"), quantity=12)

    assert selectors.pool_of(alice_vdc) == {"cpu": 12, "ram": 16, "disk": 200, "machines": 4, "ipv4": 2}


def test_created_machine_is_a_running_libvirt_domain_of_its_size(alice_vdc: Any, debian: Any, libvirt_uri: str) -> None:
    machine = create(alice_vdc, debian, "web-1", cpu=2, ram=4, disk=40)
    assert machine.status == MachineStatus.CREATING and machine.operation == "create"

    assert run_machines() == ["done"]

    machine.refresh_from_db()
    assert (machine.status, machine.operation) == (MachineStatus.RUNNING, "")
    dom = domain(libvirt_uri, machine)
    _state, max_kib, _mem, cpus, _time = dom.info()
    assert dom.isActive() and (max_kib, cpus) == (4 * 1024 * 1024, 2)
    assert machine.remote_id == dom.name()


def test_the_machine_disk_starts_from_the_template_image(alice_vdc: Any, debian: Any, libvirt_uri: str) -> None:
    machine = create(alice_vdc, debian, "web-1")
    run_machines()

    xml = domain(libvirt_uri, machine).XMLDesc()
    disk = xml[xml.index("<disk") : xml.index("</disk>")]
    assert f"/var/lib/libvirt/images/openbill-vdc{alice_vdc.pk}-{machine.pk}.qcow2" in disk
    assert "<backingStore type='file'>" in disk and "/var/lib/libvirt/images/debian-12.qcow2" in disk


def test_stop_start_reboot_delete_reach_the_domain(alice_vdc: Any, debian: Any, libvirt_uri: str) -> None:
    machine = create(alice_vdc, debian, "web-1")
    run_machines()
    now = timezone.now()

    actions.stop_machine(machine, actor=CLIENT, now=now)
    run_machines()
    assert not domain(libvirt_uri, machine).isActive()
    assert Machine.objects.get(pk=machine.pk).status == MachineStatus.STOPPED

    actions.start_machine(machine, actor=CLIENT, now=now)
    run_machines()
    assert domain(libvirt_uri, machine).isActive()

    actions.reboot_machine(machine, actor=CLIENT, now=now)
    assert Machine.objects.get(pk=machine.pk).label == "In progress (reboot)"
    run_machines()
    assert domain(libvirt_uri, machine).isActive()
    assert Machine.objects.get(pk=machine.pk).label == "Running"

    actions.delete_machine(machine, actor=CLIENT, now=now)
    run_machines()
    assert Machine.objects.get(pk=machine.pk).status == MachineStatus.DELETED
    assert [d.name() for d in connect(libvirt_uri).listAllDomains()] == []


def test_illegal_moves_are_refused(alice_vdc: Any, debian: Any) -> None:
    machine = create(alice_vdc, debian, "web-1")
    with pytest.raises(IllegalTransition, match="in progress"):
        actions.stop_machine(machine, actor=CLIENT, now=timezone.now())
    run_machines()
    with pytest.raises(IllegalTransition):
        actions.start_machine(machine, actor=CLIENT, now=timezone.now())


def test_creating_beyond_what_is_left_names_the_resource_and_the_machines_using_it(alice_vdc: Any, debian: Any) -> None:
    create(alice_vdc, debian, "a", cpu=2)
    create(alice_vdc, debian, "b", cpu=4)

    with pytest.raises(DomainError) as refused:
        create(alice_vdc, debian, "c", cpu=3)

    assert refused.value.field == "cpu"
    assert refused.value.message == "8 CPU cores with machines using 2 and 4 leaves 2; this machine asks for 3."
    assert Machine.objects.filter(service=alice_vdc).count() == 2
    create(alice_vdc, debian, "c", cpu=2)  # exactly what is left fits


def test_machine_count_ram_and_disk_are_limits_too(alice_vdc: Any, debian: Any) -> None:
    with pytest.raises(DomainError, match="16 GiB of RAM"):
        create(alice_vdc, debian, "a", ram=17)
    with pytest.raises(DomainError, match="200 GiB of disk"):
        create(alice_vdc, debian, "a", disk=201)
    for name in "abcd":
        create(alice_vdc, debian, name)
    with pytest.raises(DomainError, match="4 machines"):
        create(alice_vdc, debian, "e")


def test_deleted_machines_free_their_share(alice_vdc: Any, debian: Any) -> None:
    machine = create(alice_vdc, debian, "a", cpu=8)
    run_machines()
    actions.delete_machine(machine, actor=CLIENT, now=timezone.now())
    run_machines()

    create(alice_vdc, debian, "a", cpu=8)  # the name and the cores are free again


def test_resize_checks_what_is_left_without_its_own_share(alice_vdc: Any, debian: Any, libvirt_uri: str) -> None:
    machine = create(alice_vdc, debian, "a", cpu=2)
    create(alice_vdc, debian, "b", cpu=4)
    run_machines()

    with pytest.raises(DomainError, match="leaves 4; this machine asks for 5"):
        actions.resize_machine(machine, cpu=5, ram=1, disk=10, actor=CLIENT, now=timezone.now())
    actions.resize_machine(machine, cpu=4, ram=2, disk=10, actor=CLIENT, now=timezone.now())
    run_machines()

    machine.refresh_from_db()
    assert (machine.cpu, machine.ram, machine.status) == (4, 2, MachineStatus.RUNNING)
    assert domain(libvirt_uri, machine).info()[3] == 4


def test_only_templates_that_fit_what_is_left_are_offered(alice_vdc: Any, debian: Any, big_image: Any) -> None:
    assert list(selectors.fitting_templates(alice_vdc)) == [debian, big_image]

    create(alice_vdc, debian, "a", cpu=5)

    assert list(selectors.fitting_templates(alice_vdc)) == [debian]
    with pytest.raises(DomainError, match="needs at least 4 CPU cores"):
        create(alice_vdc, big_image, "b", cpu=2, ram=8, disk=60)


def test_bad_input_is_refused_with_its_field(alice_vdc: Any, debian: Any, provider: Any) -> None:
    with pytest.raises(DomainError) as bad_name:
        create(alice_vdc, debian, "-web")
    with pytest.raises(DomainError) as bad_cpu:
        create(alice_vdc, debian, "web", cpu=0)
    create(alice_vdc, debian, "web")
    with pytest.raises(DomainError) as taken:
        create(alice_vdc, debian, "web")

    assert (bad_name.value.field, bad_cpu.value.field, taken.value.field) == ("name", "cpu", "name")
    assert Machine.objects.count() == 1


def test_a_stopped_vdc_takes_no_new_machines(alice_vdc: Any, debian: Any) -> None:
    alice_vdc.status = Status.SUSPENDED
    alice_vdc.suspend_reasons = [SuspendReason.CLIENT]
    alice_vdc.save()

    with pytest.raises(IllegalTransition, match="not active"):
        create(alice_vdc, debian, "web")


@pytest.mark.parametrize("reason", [SuspendReason.CLIENT, SuspendReason.ADMIN, SuspendReason.ABUSE])
def test_suspending_the_vdc_stops_every_machine_and_resuming_leaves_them_stopped(
    alice_vdc: Any, debian: Any, libvirt_uri: str, reason: str
) -> None:
    first, second = create(alice_vdc, debian, "a"), create(alice_vdc, debian, "b")
    run_machines()
    now = timezone.now()

    services.suspend(alice_vdc, reason=reason, actor=CLIENT, now=now)
    assert run_provisioning() == ["done"]

    assert alice_vdc.__class__.objects.get(pk=alice_vdc.pk).status == Status.SUSPENDED
    assert not domain(libvirt_uri, first).isActive() and not domain(libvirt_uri, second).isActive()
    assert set(Machine.objects.values_list("status", flat=True)) == {MachineStatus.STOPPED}

    services.resume(alice_vdc, reason=reason, actor=CLIENT, now=now)
    assert run_provisioning() == ["done"]

    assert alice_vdc.__class__.objects.get(pk=alice_vdc.pk).status == Status.ACTIVE
    assert not domain(libvirt_uri, first).isActive() and not domain(libvirt_uri, second).isActive()
    assert set(Machine.objects.values_list("status", flat=True)) == {MachineStatus.STOPPED}
    actions.start_machine(first, actor=CLIENT, now=now)  # the client starts them again
    run_machines()
    assert domain(libvirt_uri, first).isActive()


def test_deleting_the_vdc_deletes_its_machines(alice_vdc: Any, debian: Any, libvirt_uri: str) -> None:
    create(alice_vdc, debian, "a")
    create(alice_vdc, debian, "b")
    run_machines()

    services.delete_service(alice_vdc, actor=Actor.system("staff"), now=timezone.now())
    assert run_provisioning() == ["done"]

    assert set(Machine.objects.values_list("status", flat=True)) == {MachineStatus.DELETED}
    assert connect(libvirt_uri).listAllDomains() == []


def test_a_machine_started_while_the_vdc_is_being_suspended_is_powered_off_again(
    alice_vdc: Any, debian: Any, libvirt_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a start that is running on libvirt when the client suspends the data center,
    machine = create(alice_vdc, debian, "a")
    run_machines()
    actions.stop_machine(machine, actor=CLIENT, now=timezone.now())
    run_machines()
    actions.start_machine(machine, actor=CLIENT, now=timezone.now())
    from openbill.provisioning.modules.libvirt_vm import LibvirtModule

    real_resume = LibvirtModule.resume

    def resume_during_suspension(self: Any, spec: Any) -> Any:
        result = real_resume(self, spec)
        services.suspend(alice_vdc, reason=SuspendReason.CLIENT, actor=CLIENT, now=timezone.now())
        return result

    monkeypatch.setattr(LibvirtModule, "resume", resume_during_suspension)

    # when the start finishes after the suspension began,
    assert run_machines() == ["done"]

    # then the machine is off again and says why.
    machine.refresh_from_db()
    assert not domain(libvirt_uri, machine).isActive()
    assert (machine.status, machine.error) == (MachineStatus.STOPPED, "Stopped: the data center was suspended.")
