"""Capacity Openbill tracks itself: resources allocated to a module instance's services against
the limits configured on it (DESIGN.md §6).

A service's allocation is its numeric add-on quantities (``ram``, ``cpu``, ``disk``… in the
add-ons' units), with the tariff's minimum for an add-on the service has no line for, plus one
``services`` slot. Services count from the moment activation reserves the instance until they
are deleted; a service waiting as Not available holds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from openbill.catalog.models import ValueType
from openbill.services.choices import Status
from openbill.services.models import Service, ServiceAddon

from .models import ProcessingModule


def requirements(service: Any) -> dict[str, Decimal]:
    """What the service needs on an instance."""
    need: dict[str, Decimal] = {"services": Decimal(1)}
    lines = {line.addon_id: line for line in service.addons.all()}
    for addon in service.tariff.addons.all():
        if addon.value_type == ValueType.ENUM:
            continue
        line = lines.get(addon.pk)
        quantity = line.quantity if line is not None else max(addon.minimum, addon.included)
        need[addon.resource] = need.get(addon.resource, Decimal(0)) + quantity
    return need


def allocated(modules: list[ProcessingModule], *, exclude_service: int | None = None) -> dict[int, dict[str, Decimal]]:
    """Resources held on each instance by its services (two grouped queries)."""
    ids = [m.pk for m in modules]
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    services = Service.objects.filter(module_id__in=ids).exclude(status__in=[Status.DELETED, Status.NOT_AVAILABLE])
    lines = ServiceAddon.objects.filter(service__in=services).exclude(addon__value_type=ValueType.ENUM)
    if exclude_service is not None:
        services = services.exclude(pk=exclude_service)
        lines = lines.exclude(service_id=exclude_service)
    for row in services.values("module_id").annotate(n=Count("id")):
        out[row["module_id"]]["services"] = Decimal(row["n"])
    for row in lines.values("service__module_id", "addon__resource").annotate(total=Sum("quantity")):
        out[row["service__module_id"]][row["addon__resource"]] = row["total"] or Decimal(0)
    return out


def fits(module: ProcessingModule, used: dict[str, Decimal], need: dict[str, Decimal]) -> bool:
    return all(used.get(key, Decimal(0)) + need.get(key, Decimal(0)) <= limit for key, limit in module.limits().items())


def usage_table(modules: list[ProcessingModule]) -> list[dict[str, Any]]:
    """Per instance and resource: used / limit (the staff page)."""
    used = allocated(modules)
    rows = []
    for module in modules:
        keys = sorted(set(module.limits()) | set(used.get(module.pk, {})))
        rows.append(
            {
                "module": module,
                "resources": [
                    (key, used.get(module.pk, {}).get(key, Decimal(0)), module.limits().get(key)) for key in keys
                ],
            }
        )
    return rows
