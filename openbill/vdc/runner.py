"""The worker's side of a VDC's machines (``tasks.run_machine_operation``).

A machine operation recorded by ``actions`` is run here: the machine is claimed by a
compare-and-swap lease, libvirt is called with no transaction open, and the result is recorded
with a second compare-and-swap (a worker that lost its lease records nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.texts import Text
from openbill.ipam import actions as ipam
from openbill.provisioning.modules.base import ModuleError, ServiceSpec
from openbill.provisioning.modules.libvirt_vm import LibvirtModule
from openbill.services.choices import Operation, Status
from openbill.services.models import Service

from .models import OPERATION_RESULT, Machine, MachineOperation, MachineStatus
from .module import LibvirtVdcModule

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
POWERS_ON = (MachineOperation.CREATE, MachineOperation.START, MachineOperation.REBOOT)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def machine_spec(machine: Machine, vdc: Service, *, size: dict[str, int] | None = None) -> ServiceSpec:
    """What the libvirt module needs for one machine: the VDC's instance settings, the
    machine's own size and domain name."""
    module = vdc.module
    if module is None:
        raise ModuleError("the data center has no module instance", retryable=False)
    size = size or {"cpu": machine.cpu, "ram": machine.ram, "disk": machine.disk}
    return ServiceSpec(
        service_id=vdc.pk,
        name=f"{vdc.name} / {machine.name}",
        remote_id=machine.remote_id,
        period=vdc.period,
        parameters={"hostname": machine.name, "image": machine.template.image},
        resources={key: str(value) for key, value in size.items()},
        idempotency_key=f"machine:{machine.pk}:{machine.operation}",
        config=dict(module.config),
        secrets=module.get_secrets(),
        operation_params={"domain_name": machine.domain_name},
        module_id=module.pk,
        addresses=_addresses(machine),
    )


def _addresses(machine: Machine) -> list[dict[str, Any]]:
    """The machine's public address as the libvirt module writes it (its main one)."""
    address = machine.address
    if address is None or address.state != "active":
        return []
    pool = address.pool
    return [
        {
            "address": address.address,
            "version": address.version,
            "main": True,
            "prefix_length": pool.network.prefixlen,
            "gateway": pool.gateway or "",
        }
    ]


def _call(machine: Machine, vdc: Service) -> dict[str, Any]:
    operation = machine.operation
    if operation in POWERS_ON and (
        vdc.status != Status.ACTIVE or vdc.operation in (Operation.SUSPENSION, Operation.DELETION)
    ):
        raise ModuleError(_("The virtual data center is not active."), retryable=False)
    size = {k: int(v) for k, v in machine.params.items()} if operation == MachineOperation.RESIZE else None
    spec = machine_spec(machine, vdc, size=size)
    libvirt_module = LibvirtModule()
    if operation == MachineOperation.CREATE:
        return libvirt_module.open(spec)
    if operation == MachineOperation.START:
        return libvirt_module.resume(spec)
    if operation == MachineOperation.STOP:
        return LibvirtVdcModule().stop_machine(spec)
    if operation == MachineOperation.REBOOT:
        return libvirt_module.reboot(spec)
    if operation == MachineOperation.RESIZE:
        return libvirt_module.set_params(spec)
    return libvirt_module.close(spec)


def _claimable(now: datetime) -> Q:
    return (
        ~Q(operation="")
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    )


def _power_off_if_vdc_stopped(machine: Machine, vdc: Service) -> bool:
    """After a machine was powered on: if its data center began stopping or deleting meanwhile
    (its module may have listed the machines before this one ran), power it off again, so that
    no machine runs in a stopped data center. True when it did."""
    status, operation = Service.objects.filter(pk=vdc.pk).values_list("status", "operation").get()
    if status == Status.ACTIVE and operation not in (Operation.SUSPENSION, Operation.DELETION):
        return False
    module = LibvirtVdcModule()
    spec = machine_spec(machine, vdc)
    try:
        if operation == Operation.DELETION or status == Status.DELETED:
            module.close(spec)
        else:
            module.stop_machine(spec)
    except ModuleError:
        return False  # it runs: the row says so (staff see it; the VDC's next stop catches it)
    return True


def run_operation(machine_id: int, *, now: datetime) -> str:
    """Run the machine's pending operation if it is due. Returns what happened."""
    claimed = Machine.objects.filter(_claimable(now), pk=machine_id).update(lease_until=now + LEASE)
    if claimed != 1:
        return "skipped"
    machine = Machine.objects.select_related("template", "address__pool").get(pk=machine_id)
    vdc = Service.objects.select_related("module").get(pk=machine.service_id)
    operation = machine.operation
    mine = Q(pk=machine.pk, operation=operation, lease_until=now + LEASE)
    try:
        result = _call(machine, vdc)  # the remote call: no transaction, no row lock held
    except ModuleError as exc:
        attempts = machine.attempts + 1
        if exc.retryable and attempts < MAX_ATTEMPTS:
            Machine.objects.filter(mine).update(
                attempts=attempts, error=str(exc)[:2000], next_attempt_at=now + backoff(attempts), lease_until=None
            )
            return "retry"
        failed = {"operation": "", "error": str(exc)[:2000], "attempts": attempts, "lease_until": None}
        if operation == MachineOperation.CREATE:
            failed["status"] = MachineStatus.FAILED
        Machine.objects.filter(mine).update(**failed)
        return "failed"
    done: dict[str, Any] = {"operation": "", "error": "", "lease_until": None, "next_attempt_at": None}
    target = OPERATION_RESULT[operation]
    if operation in POWERS_ON and _power_off_if_vdc_stopped(machine, vdc):
        target = MachineStatus.STOPPED
        done["error"] = _("Stopped: the data center was suspended.")
    if target is not None:
        done["status"] = target
    if target == MachineStatus.DELETED:
        done["deleted_at"] = now
        done["remote_id"] = ""
    elif result.get("remote_id"):
        done["remote_id"] = str(result["remote_id"])
    if operation == MachineOperation.RESIZE:
        done.update({k: int(v) for k, v in machine.params.items()})
    with transaction.atomic():
        changed = Machine.objects.filter(mine).update(**done)
        if changed == 1 and target == MachineStatus.DELETED and machine.address is not None:
            _release_address(machine, vdc, now=now)
    return "done" if changed == 1 else "lost_lease"


def _release_address(machine: Machine, vdc: Service, *, now: datetime) -> None:
    """A deleted machine's public address goes to quarantine (ipam removes its reverse name)."""
    address = machine.address
    assert address is not None
    address.service = vdc
    ipam.release(
        address,
        now=now,
        actor=Actor.system("virtual data centers"),
        note=Text("machine_address_released", address=address.address, name=machine.name),
    )


def due_machine_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Machine.objects.filter(_claimable(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
