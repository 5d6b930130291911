"""Read queries of virtual data centers: the pool, what its machines use, what is left."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from openbill.catalog.models import ProductKind
from openbill.core.errors import DomainError
from openbill.services.models import Service
from openbill.services.selectors import resources_of

from .models import MACHINE_RESOURCES, POOL_RESOURCES, Machine, MachineStatus, MachineTemplate

RESOURCE_LABELS = {
    "cpu": lambda n: _("%(n)s CPU cores") % {"n": n},
    "ram": lambda n: _("%(n)s GiB of RAM") % {"n": n},
    "disk": lambda n: _("%(n)s GiB of disk") % {"n": n},
    "machines": lambda n: _("%(n)s machines") % {"n": n},
    "ipv4": lambda n: _("%(n)s public IPv4 addresses") % {"n": n},
}


def is_vdc(service: Service) -> bool:
    return bool(service.product_type.kind == ProductKind.VIRTUAL_DATA_CENTER)


def client_vdcs(client: Any) -> QuerySet[Service]:
    return Service.objects.for_client(client).filter(product_type__kind=ProductKind.VIRTUAL_DATA_CENTER)


def machines_of(service: Service) -> QuerySet[Machine]:
    """The VDC's machines a client sees (deleted ones are gone)."""
    return (
        Machine.objects.filter(service=service)
        .exclude(status=MachineStatus.DELETED)
        .select_related("template", "address")
    )


def pool_from(resources: dict[str, Any]) -> dict[str, int | None]:
    """The pool as whole units per resource; None where the tariff sets no limit."""
    pool: dict[str, int | None] = {}
    for resource in POOL_RESOURCES:
        value = resources.get(resource)
        try:
            pool[resource] = int(Decimal(str(value))) if value not in (None, "") else None
        except ArithmeticError:
            pool[resource] = None
    return pool


def pool_of(service: Service) -> dict[str, int | None]:
    return pool_from(resources_of(service))


def usage_of(service: Service, *, exclude: Machine | None = None) -> dict[str, list[int]]:
    """What each machine takes, per resource (in creation order), for the message that names them."""
    rows = machines_of(service).order_by("id")
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    usage: dict[str, list[int]] = {r: [] for r in MACHINE_RESOURCES}
    for cpu, ram, disk, address in rows.values_list("cpu", "ram", "disk", "address"):
        usage["cpu"].append(cpu)
        usage["ram"].append(ram)
        usage["disk"].append(disk)
        usage["machines"].append(1)
        if address is not None:
            usage["ipv4"].append(1)
    return usage


def used_totals(service: Service) -> dict[str, int]:
    totals = machines_of(service).aggregate(
        cpu=Sum("cpu"), ram=Sum("ram"), disk=Sum("disk"), machines=Count("id"), ipv4=Count("address")
    )
    return {key: int(value or 0) for key, value in totals.items()}


@dataclass(frozen=True)
class PoolLine:
    resource: str
    total: int | None
    used: int

    @property
    def left(self) -> int | None:
        return None if self.total is None else max(self.total - self.used, 0)


def pool_lines(service: Service) -> list[PoolLine]:
    pool = pool_of(service)
    used = used_totals(service)
    return [PoolLine(r, pool[r], used.get(r, 0)) for r in MACHINE_RESOURCES]


def left_of(service: Service, *, exclude: Machine | None = None) -> dict[str, int | None]:
    pool = pool_of(service)
    usage = usage_of(service, exclude=exclude)
    return {r: None if pool[r] is None else pool[r] - sum(usage[r]) for r in MACHINE_RESOURCES}  # type: ignore[operator]


def check_fits(service: Service, want: dict[str, int], *, exclude: Machine | None = None) -> None:
    """Raise a DomainError naming the first resource the request exceeds:
    "8 CPU cores with machines using 2 and 4 leave 2; this machine asks for 3"."""
    pool = pool_of(service)
    usage = usage_of(service, exclude=exclude)
    for resource in MACHINE_RESOURCES:
        total = pool[resource]
        asked = want.get(resource, 0)
        if total is None or not asked:
            continue
        used = usage[resource]
        left = total - sum(used)
        if asked <= left:
            continue
        label = RESOURCE_LABELS[resource](total)
        if resource == "machines":
            raise DomainError(
                _("The data center allows %(total)s and has %(count)s already: delete one first.")
                % {"total": label, "count": len(used)},
                field="name",
            )
        if resource == "ipv4":
            raise DomainError(
                _(
                    "The data center has %(total)s and its machines use them all: create this machine without "
                    "a public address, or add addresses with Edit."
                )
                % {"total": label},
                field="public_ipv4",
            )
        if used:
            message = _("%(total)s with machines using %(used)s leaves %(left)s; this machine asks for %(asked)s.") % {
                "total": label,
                "used": _join(used),
                "left": max(left, 0),
                "asked": asked,
            }
        else:
            message = _("The data center has %(total)s; this machine asks for %(asked)s.") % {
                "total": label,
                "asked": asked,
            }
        raise DomainError(message, field=resource)


def _join(numbers: list[int]) -> str:
    """2 → "2"; 2, 4 → "2 and 4"; 1, 2, 4 → "1, 2 and 4"."""
    if len(numbers) == 1:
        return str(numbers[0])
    return _("%(first)s and %(last)s") % {"first": ", ".join(str(n) for n in numbers[:-1]), "last": numbers[-1]}


def fitting_templates(service: Service) -> QuerySet[MachineTemplate]:
    """The provider's enabled templates whose minimum size fits what is left of the pool."""
    left = left_of(service)
    templates = MachineTemplate.objects.filter(provider_id=service.client.provider_id, enabled=True)
    if left["machines"] is not None and left["machines"] < 1:
        return templates.none()
    for resource, field in (("cpu", "min_cpu"), ("ram", "min_ram"), ("disk", "min_disk")):
        if left[resource] is not None:
            templates = templates.filter(**{f"{field}__lte": left[resource]})
    return templates


def check_pool_change(service: Service) -> None:
    """An edit may not shrink the pool below what the machines use: ``orders.actions.change_service``
    calls it with the new add-ons applied and the service row locked; raising undoes the change."""
    if not is_vdc(service):
        return
    pool = pool_of(service)
    used = used_totals(service)
    for resource in MACHINE_RESOURCES:
        total = pool[resource]
        if total is not None and total < used[resource]:
            raise DomainError(
                _("The machines of this data center use %(used)s; free resources before lowering it to %(total)s.")
                % {"used": RESOURCE_LABELS[resource](used[resource]), "total": total},
                field=resource,
            )
