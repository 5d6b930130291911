"""Everything that changes a VDC's machines.

A request (create, start, stop, reboot, resize, delete) is checked and recorded with the VDC's
service row locked — so two requests at once cannot both take the last of the pool — and its
remote work is queued in the same transaction. A worker runs it (``runner.run_operation``): it claims
the machine by a compare-and-swap lease, calls libvirt with no transaction open, and records
the result with a second compare-and-swap.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition
from openbill.core.texts import Text
from openbill.ipam import actions as ipam
from openbill.services import actions as service_actions
from openbill.services import events
from openbill.services.choices import Operation, Status
from openbill.services.models import Service

from . import selectors, tasks
from .models import OPERATION_FROM, Machine, MachineOperation, MachineStatus, MachineTemplate

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_SIZE = 1024  # per resource of one machine, far above any real pool


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
                address = ipam.take_one(locked, now=now, actor=actor, note=Text.verbatim(name))
            except ipam.NoRoom:
                raise ipam.NoRoom(
                    _("No public IPv4 address is free now: create the machine without one, or try again later."),
                    field="public_ipv4",
                ) from None
        machine = Machine.objects.create(
            service=locked, name=name, template=chosen, created_at=now, address=address, **size
        )
        events.record(locked, "machine", actor=actor, now=now, note=Text("machine_created", name=name))
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
            note=Text("machine_operation", name=locked.name, operation=operation),
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
