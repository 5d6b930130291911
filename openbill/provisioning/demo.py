"""Demo data of provisioning: a libvirt node on libvirt's test driver (``test:///default``) for
the virtual-server tariffs, so that a reboot, a suspension or a new server in ``make run`` really
runs through the worker and the libvirt module. The test driver keeps machines in the worker's
memory; the demo node re-creates a machine it no longer knows (``recreate_missing``). Everything
else — including the seven In progress demo services — stays on the manual module (staff queue).
"""

from __future__ import annotations

from typing import Any

from openbill.catalog.models import ProductKind, TariffPlan
from openbill.services.choices import Status
from openbill.services.models import Service

from .models import ProcessingModule


def extend(demo: Any) -> None:
    vps_tariffs = list(
        TariffPlan.objects.filter(product_type__provider=demo.provider, product_type__kind=ProductKind.VIRTUAL_SERVER)
    )
    node = ProcessingModule.objects.create(
        name="Demo node (libvirt test driver)",
        kind="libvirt",
        provider=demo.provider,
        config={"uri": "test:///default", "network": "default", "recreate_missing": True},
        # 32 GiB and 16 cores for the demo's servers: "Big server" (64 GiB) waits as Not available.
        capacity={"ram": 32, "cpu": 16, "services": 50},
        max_running=4,
        priority=10,
    )
    node.tariffs.set(vps_tariffs)
    demo.manual.tariffs.remove(*vps_tariffs)
    live = Service.objects.filter(client__provider=demo.provider, status__in=[Status.ACTIVE, Status.SUSPENDED])
    for service in live.filter(tariff__in=vps_tariffs, module__isnull=True):
        Service.objects.filter(pk=service.pk).update(module=node, remote_id=f"openbill-{service.pk}")
    live.filter(module__isnull=True).update(module=demo.manual)
    demo.libvirt_node = node
