"""The demo's catalog: every product type of the seed with its tariffs, the virtual servers'
add-ons (RAM, CPU, disk, addresses, traffic billed by statistics, the operating system), and the
manual module that serves every tariff until an app moves some to its own module."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openbill.catalog.models import (
    AddonEnumItem,
    AddonPrice,
    BillingType,
    DeletionWhen,
    ProductKind,
    ProductParameter,
    TariffPlan,
    ValueType,
)
from openbill.provisioning.models import ProcessingModule

VPS_INSTRUCTIONS = """Your virtual server {{ service.name }} is ready.

Host name: {{ params.hostname }}
Address: {{ service.address|default:"assigned at activation" }}
Log in as root with the password sent to {{ client.email }}.
Paid until {{ service.expires_on }}."""


def build(demo: Any) -> None:
    vds = demo.ptype(
        ProductKind.VIRTUAL_SERVER,
        "Virtual servers",
        instruction_template=VPS_INSTRUCTIONS,
        refund_unused=True,
        grace_days=3,
        auto_delete_days=14,
    )
    ProductParameter.objects.create(product_type=vds, code="hostname", label="Host name", kind="hostname")
    hosting = demo.ptype(
        ProductKind.VIRTUAL_HOSTING,
        "Virtual hosting",
        instruction_template="Your hosting for {{ params.domain }} is ready. Control panel: "
        "https://panel.demo.test/ (login {{ client.email }}).",
    )
    ProductParameter.objects.create(product_type=hosting, code="domain", label="Domain", kind="domain")
    dedicated = demo.ptype(
        ProductKind.DEDICATED_SERVER,
        "Dedicated servers",
        deletion_when=DeletionWhen.PERIOD_END,
        instruction_template="Your dedicated server {{ service.name }} is racked and running. "
        "Its access details were sent to {{ client.email }}. Paid until {{ service.expires_on }}.",
    )
    domain = demo.ptype(
        ProductKind.DOMAIN,
        "Domain names",
        client_can_suspend=False,
        deletion_who="staff",
        instruction_template="{{ params.domain }} is registered to you. Point it at your servers with "
        "the NS action; it is paid until {{ service.expires_on }}.",
    )
    ProductParameter.objects.create(product_type=domain, code="domain", label="Domain", kind="domain")
    ssl = demo.ptype(
        ProductKind.SSL_CERTIFICATE,
        "SSL certificates",
        client_can_suspend=False,
        instruction_template="Download the certificate for {{ params.domain }} from the service page.",
    )
    ProductParameter.objects.create(product_type=ssl, code="domain", label="Domain", kind="domain")
    ProductParameter.objects.create(product_type=ssl, code="csr", label="CSR", kind="csr", required=False, position=1)
    vdc = demo.ptype(
        ProductKind.VIRTUAL_DATA_CENTER,
        "Virtual data centers",
        instruction_template="Your virtual data center {{ service.name }} is ready: create its virtual "
        "servers from the service's Virtual servers action.",
    )
    licence = demo.ptype(
        ProductKind.SOFTWARE_LICENCE,
        "Software licences",
        instruction_template="Licence key: {{ params.licence_key|default:'issued at activation' }}",
    )
    generic = demo.ptype(
        ProductKind.GENERIC,
        "Other services",
        instruction_template="{{ service.name }} is active. Ask a question from the service page if you need anything.",
    )

    demo.vps = demo.plan(
        vds,
        "VPS Start",
        {"month": ("10.00", "5.00"), "year": ("100.00", "0")},
        description="1 core, 1 GiB RAM, 20 GiB disk",
    )
    vps_addons(demo, demo.vps)
    demo.vps_pro = demo.plan(
        vds, "VPS Pro", {"month": ("25.00", "0"), "year": ("250.00", "0")}, description="Faster CPUs, NVMe"
    )
    vps_addons(demo, demo.vps_pro)
    demo.vps.changeable_to.add(demo.vps_pro)
    demo.vps_pro.changeable_to.add(demo.vps)
    demo.vps_daily = demo.plan(
        vds, "VPS Daily", {"day": ("1.00", "0")}, description="Billed each day", auto_renew_default=True
    )
    vps_addons(demo, demo.vps_daily, daily=True)
    demo.hosting = demo.plan(
        hosting, "Hosting Basic", {"month": ("5.00", "0"), "year": ("50.00", "0")}, quick_order=True
    )
    demo.hosting_business = demo.plan(hosting, "Hosting Business", {"month": ("12.00", "0"), "year": ("120.00", "0")})
    demo.hosting.changeable_to.add(demo.hosting_business)
    demo.dedicated = demo.plan(dedicated, "Dedicated E3", {"month": ("60.00", "50.00"), "year": ("500.00", "0")})
    demo.com = demo.plan(domain, ".com registration", {"year": ("12.00", "0"), "2years": ("24.00", "0")})
    demo.ssl = demo.plan(ssl, "Basic SSL", {"year": ("10.00", "0")})
    demo.vdc = demo.plan(vdc, "VDC Small", {"month": ("50.00", "0"), "3months": ("140.00", "0")})
    demo.licence = demo.plan(licence, "ISPmanager Lite", {"month": ("6.00", "0"), "6months": ("33.00", "0")})
    demo.backup = demo.plan(generic, "Backup 100 GiB", {"month": ("3.00", "0")})

    demo.manual = ProcessingModule.objects.create(name="Manual work", kind="manual", provider=demo.provider, priority=0)
    demo.manual.tariffs.set(TariffPlan.objects.filter(product_type__provider=demo.provider))


def vps_addons(demo: Any, plan: TariffPlan, *, daily: bool = False) -> None:
    periods = ("day",) if daily else ("month", "year")

    def per(month: str) -> dict[str, str]:
        table = {
            "day": str((Decimal(month) / 30).quantize(Decimal("0.0001"))),
            "month": month,
            "year": str(Decimal(month) * 10),
        }
        return {p: table[p] for p in periods}

    # resource, name, monthly price per unit, and the add-on's fields
    ordered = {"billing_type": BillingType.ORDER}
    table: list[tuple[str, str, str | None, dict[str, Any]]] = [
        ("ram", "RAM", "2.00", {**ordered, "unit": "GiB", "included": 1, "minimum": 1, "maximum": 64, "step": 1}),
        (
            "cpu",
            "CPU cores",
            "3.00",
            {**ordered, "unit": "cores", "included": 1, "minimum": 1, "maximum": 16, "step": 1},
        ),
        ("disk", "Disk", "0.10", {**ordered, "unit": "GiB", "included": 20, "minimum": 20, "maximum": 500, "step": 10}),
        (
            "ipv4",
            "Extra IPv4 addresses",
            "2.00",
            {**ordered, "unit": "addresses", "included": 0, "minimum": 0, "maximum": 8},
        ),
        (
            "traffic",
            "Traffic",
            None,
            {
                "unit": "GiB",
                "billing_type": BillingType.STATISTICS,
                "included": 1000,
                "minimum": 0,
                "maximum": 100000,
                "overage_price": Decimal("0.01"),
                "metrics": ["rx_bytes", "tx_bytes"],
            },
        ),
    ]
    for position, (resource, name, month, fields) in enumerate(table, start=1):
        demo.addon(plan, resource, name, per(month) if month else None, position=position, **fields)
    os_addon = demo.addon(
        plan, "os", "Operating system", billing_type=BillingType.LIST, value_type=ValueType.ENUM, position=6
    )
    for position, (code, name, month) in enumerate(
        [
            ("debian-12", "Debian 12", "0"),
            ("ubuntu-24-04", "Ubuntu 24.04", "0"),
            ("windows-2022", "Windows Server 2022", "15.00"),
        ]
    ):
        item = AddonEnumItem.objects.create(addon=os_addon, code=code, name=name, position=position)
        for period, price in per(month).items():
            AddonPrice.objects.create(addon=os_addon, enum_item=item, period=period, unit_price=Decimal(price))
    AddonEnumItem.objects.create(addon=os_addon, code="centos-7", name="CentOS 7 (retired)", enabled=False, position=9)
