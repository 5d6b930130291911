"""Demo virtual data centers: the "VDC Small" tariff sells a pool (8 CPU cores, 16 GiB RAM,
200 GiB disk, 4 machines, 2 public IPs) with add-ons for more of each; three machine templates;
a libvirt test-driver node for data centers with its own public IPv4 pool (192.0.2.0/27);
alice's "Dev VDC" with two machines, one running and one stopped, each with a public address
(web-1's with a reverse name), and her "Lab VDC", suspended by staff, on the same node."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from openbill.catalog.models import BillingType
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.texts import Text
from openbill.ipam import actions as ipam
from openbill.ipam.models import Address, Pool, PtrState
from openbill.provisioning.models import ProcessingModule
from openbill.services.models import Service

from .models import Machine, MachineStatus, MachineTemplate

POOL = (
    # resource, name, unit, included, maximum, monthly price per unit beyond what is included
    ("cpu", "CPU cores", "cores", 8, 64, "4.00"),
    ("ram", "RAM", "GiB", 16, 256, "2.00"),
    ("disk", "Disk", "GiB", 200, 4000, "0.05"),
    ("machines", "Virtual servers", "", 4, 50, "1.00"),
    ("ipv4", "Public IPv4 addresses", "", 2, 16, "2.00"),
)


def build(demo: Any) -> None:
    provider = demo.provider
    plan = demo.vdc
    for position, (resource, name, unit, included, maximum, month) in enumerate(POOL, start=1):
        demo.addon(
            plan,
            resource,
            name,
            {"month": month, "3months": str(Decimal(month) * 3)},
            unit=unit,
            billing_type=BillingType.ORDER,
            included=included,
            minimum=included,
            maximum=maximum,
            step=1,
            position=position,
        )
    debian = MachineTemplate.objects.create(provider=provider, name="Debian 12", image="debian-12.qcow2", position=1)
    MachineTemplate.objects.create(
        provider=provider, name="Ubuntu 24.04", image="ubuntu-24.04.qcow2", min_ram=2, min_disk=20, position=2
    )
    MachineTemplate.objects.create(
        provider=provider,
        name="Windows Server 2022",
        image="windows-2022.qcow2",
        min_cpu=2,
        min_ram=8,
        min_disk=60,
        position=3,
    )
    node = ProcessingModule.objects.create(
        name="Demo VDC node (libvirt test driver)",
        kind="libvirt_vdc",
        provider=provider,
        config={"uri": "test:///default", "network": "default", "recreate_missing": True},
        max_running=4,
        priority=10,
    )
    node.tariffs.set([plan])
    demo.manual.tariffs.remove(plan)
    alice = Client.objects.get(provider=provider, email="alice@demo.test")
    dev = demo.service(alice, plan, "Dev VDC", period="month", started_days_ago=10)
    Service.objects.filter(tariff=plan).update(module=node)
    Service.objects.filter(pk=dev.pk).update(remote_id=f"vdc-{dev.pk}")
    pool = Pool(
        provider=provider,
        name="Amsterdam data centers IPv4",
        location="Amsterdam",
        prefix="192.0.2.0/27",
        gateway="192.0.2.1",
        reverse_zone="2.0.192.in-addr.arpa",
        # ipam.demo gives it the demo's reverse DNS server.
    )
    pool.full_clean()
    pool.save()
    pool.modules.set([node])
    dev = Service.objects.select_related("client", "tariff", "product_type").get(pk=dev.pk)
    for name, cpu, ram, disk, status in (
        ("web-1", 2, 4, 40, MachineStatus.RUNNING),
        ("db-1", 4, 8, 100, MachineStatus.STOPPED),
    ):
        address = ipam.take_one(
            dev, now=demo.now - timedelta(days=9), actor=Actor.system("demo"), note=Text.verbatim(name)
        )
        if address is not None and name == "web-1":
            Address.objects.filter(pk=address.pk).update(
                ptr_name="web-1.dev.alice.test", ptr_published="web-1.dev.alice.test", ptr_state=PtrState.DONE
            )
        machine = Machine.objects.create(
            address=address,
            service=dev,
            name=name,
            template=debian,
            cpu=cpu,
            ram=ram,
            disk=disk,
            status=status,
            created_at=demo.now - timedelta(days=9),
        )
        Machine.objects.filter(pk=machine.pk).update(remote_id=machine.domain_name)
