"""Everything that changes a VDC's machines.

A request (create, start, stop, reboot, resize, delete) is checked and recorded with the VDC's
service row locked — so two requests at once cannot both take the last of the pool — and its
remote work is queued in the same transaction. A worker runs it (``run_operation``): it claims
the machine by a compare-and-swap lease, calls libvirt with no transaction open, and records
the result with a second compare-and-swap.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition
from openbill.provisioning.modules.base import ModuleError, ServiceSpec
from openbill.services import actions as service_actions
from openbill.services import events
from openbill.services.choices import Operation, Status
from openbill.services.models import Service

from . import selectors
from .models import OPERATION_FROM, OPERATION_RESULT, Machine, MachineOperation, MachineStatus, MachineTemplate

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_SIZE = 1024  # per resource of one machine, far above any real pool


POWERS_ON = (MachineOperation.CREATE, MachineOperation.START, MachineOperation.REBOOT)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _lock_vdc(service: Service | int) -> Service:
    locked = service_actions.lock(service)
    if not selectors.is_vdc(locked):
        raise DomainError(_("This service is not a virtual data center."))
    return locked


def _check_vdc_running(vdc: Service) -> None:
    if vdc.status != Status.ACTIVE or vdc.operation in (Operation.SUSPENSION, Operation.DELETION):
        raise IllegalTransition(_("The virtual data center is not active: its machines cannot be changed now."))


def _size(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number."), field=field) from None
    if not 1 <= number <= MAX_SIZE:
        raise DomainError(_("Enter a number from 1 to %(max)s.") % {"max": MAX_SIZE}, field=field)
    return number


def _queue(machine: Machine, operation: str, *, now: datetime, params: dict[str, Any] | None = None) -> None:
    """Mark the operation on the (locked) machine and queue its run after commit."""
    from . import tasks

    machine.operation = operation
    machine.params = params or {}
    machine.error = ""
    machine.attempts = 0
    machine.next_attempt_at = now
    machine.lease_until = None
    machine.save(update_fields=["operation", "params", "error", "attempts", "next_attempt_at", "lease_until"])
    pk = machine.pk
    transaction.on_commit(lambda: tasks.run_machine_operation.enqueue(pk))


def create_machine(
    vdc: Service,
    *,
    name: str,
    template: MachineTemplate | int,
    cpu: Any,
    ram: Any,
    disk: Any,
    actor: Actor,
    now: datetime,
    public_ipv4: bool = True,
) -> Machine:
    """Reserve a machine's share of the pool and queue its creation. With ``public_ipv4`` the
    machine takes one of the data center's public addresses from the provider's pools (ipam)
    when a pool serves the data center; a full pool refuses the machine (nothing is kept)."""
    from openbill.ipam import actions as ipam

    name = (name or "").strip().lower()
    if not NAME_RE.match(name):
        raise DomainError(
            _("Use 1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen."),
            field="name",
        )
    size = {"cpu": _size(cpu, "cpu"), "ram": _size(ram, "ram"), "disk": _size(disk, "disk")}
    with transaction.atomic():
        locked = _lock_vdc(vdc)
        _check_vdc_running(locked)
        template_pk = template if isinstance(template, int) else template.pk
        chosen = MachineTemplate.objects.filter(
            pk=template_pk, provider_id=locked.client.provider_id, enabled=True
        ).first()
        if chosen is None:
            raise DomainError(_("Choose one of the offered templates."), field="template")
        for resource, field in (("cpu", "min_cpu"), ("ram", "min_ram"), ("disk", "min_disk")):
            if size[resource] < getattr(chosen, field):
                raise DomainError(
                    _("%(template)s needs at least %(minimum)s.")
                    % {"template": chosen.name, "minimum": selectors.RESOURCE_LABELS[resource](getattr(chosen, field))},
                    field=resource,
                )
        if selectors.machines_of(locked).filter(name=name).exists():
            raise DomainError(_("A machine of this data center already has this name."), field="name")
        public = bool(public_ipv4) and ipam.serves(locked, 4)
        selectors.check_fits(locked, {**size, "machines": 1, "ipv4": 1 if public else 0})
        address = None
        if public:
            try:
                address = ipam.take_one(locked, now=now, actor=actor, note=f"{name}")
            except ipam.NoRoom:
                raise ipam.NoRoom(
                    _("No public IPv4 address is free now: create the machine without one, or try again later."),
                    field="public_ipv4",
                ) from None
        machine = Machine.objects.create(
            service=locked, name=name, template=chosen, created_at=now, address=address, **size
        )
        events.record(locked, "machine", actor=actor, now=now, note=_("Machine %(name)s created") % {"name": name})
        _queue(machine, MachineOperation.CREATE, now=now)
    return machine


def _request(
    machine: Machine, operation: str, *, actor: Actor, now: datetime, params: dict[str, Any] | None = None
) -> Machine:
    with transaction.atomic():
        vdc = _lock_vdc(machine.service_id)
        locked = Machine.objects.select_for_update().get(pk=machine.pk)
        if operation != MachineOperation.DELETE:
            _check_vdc_running(vdc)
        if locked.operation:
            raise IllegalTransition(
                _("Another operation is in progress: %(operation)s.")
                % {"operation": MachineOperation(locked.operation).label}
            )
        if locked.status not in OPERATION_FROM[operation]:
            raise IllegalTransition(
                _("A machine that is %(status)s cannot be given a %(operation)s.")
                % {"status": MachineStatus(locked.status).label.lower(), "operation": MachineOperation(operation).label}
            )
        if operation == MachineOperation.RESIZE and params is not None:
            selectors.check_fits(vdc, params, exclude=locked)
        events.record(
            vdc,
            "machine",
            actor=actor,
            now=now,
            note=_("Machine %(name)s: %(operation)s")
            % {"name": locked.name, "operation": MachineOperation(operation).label},
        )
        _queue(locked, operation, now=now, params=params)
    return locked


def start_machine(machine: Machine, *, actor: Actor, now: datetime) -> Machine:
    return _request(machine, MachineOperation.START, actor=actor, now=now)


def stop_machine(machine: Machine, *, actor: Actor, now: datetime) -> Machine:
    return _request(machine, MachineOperation.STOP, actor=actor, now=now)


def reboot_machine(machine: Machine, *, actor: Actor, now: datetime) -> Machine:
    return _request(machine, MachineOperation.REBOOT, actor=actor, now=now)


def delete_machine(machine: Machine, *, actor: Actor, now: datetime) -> Machine:
    return _request(machine, MachineOperation.DELETE, actor=actor, now=now)


def resize_machine(machine: Machine, *, cpu: Any, ram: Any, disk: Any, actor: Actor, now: datetime) -> Machine:
    """Change a machine's size; what it adds must fit what is left of the pool."""
    size = {"cpu": _size(cpu, "cpu"), "ram": _size(ram, "ram"), "disk": _size(disk, "disk")}
    template = machine.template
    for resource, field in (("cpu", "min_cpu"), ("ram", "min_ram"), ("disk", "min_disk")):
        if size[resource] < getattr(template, field):
            raise DomainError(
                _("%(template)s needs at least %(minimum)s.")
                % {"template": template.name, "minimum": selectors.RESOURCE_LABELS[resource](getattr(template, field))},
                field=resource,
            )
    return _request(machine, MachineOperation.RESIZE, actor=actor, now=now, params=size)


# --- the worker's side ------------------------------------------------------------------------
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
    from openbill.provisioning.modules.libvirt_vm import LibvirtModule

    from .module import LibvirtVdcModule

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
    from .module import LibvirtVdcModule

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
    from openbill.ipam import actions as ipam

    address = machine.address
    assert address is not None
    address.service = vdc
    ipam.release(
        address,
        now=now,
        actor=Actor.system("virtual data centers"),
        note=_("%(address)s: machine %(name)s deleted") % {"address": address.address, "name": machine.name},
    )


def due_machine_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Machine.objects.filter(_claimable(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def vdc_operation_done(service: Service, operation: str, *, now: datetime) -> None:
    """The VDC's module confirmed ``operation`` (services.actions.complete_operation, in its
    transaction, the service row locked): a suspension powered every machine off, a deletion
    removed them; the rows follow. A resume starts nothing: the client starts the machines."""
    machines = Machine.objects.filter(service=service).exclude(status=MachineStatus.DELETED)
    if operation == Operation.SUSPENSION:
        machines.filter(status=MachineStatus.RUNNING).update(status=MachineStatus.STOPPED)
        # Work queued before the suspension would start machines again: drop it.
        machines.filter(operation__in=[MachineOperation.START, MachineOperation.REBOOT]).update(
            operation="", lease_until=None, error=_("Cancelled: the data center was suspended.")
        )
    elif operation == Operation.DELETION:
        machines.update(status=MachineStatus.DELETED, operation="", lease_until=None, deleted_at=now, remote_id="")
