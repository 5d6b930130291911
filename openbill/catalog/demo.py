"""The demo's catalog: every product type of the seed with its tariffs, the virtual servers'
add-ons (RAM, CPU, disk, addresses, traffic billed by statistics, the operating system), and the
manual module that serves every tariff until an app moves some to its own module; last, the
Spanish value of every client-facing catalog text (``finish``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from openbill.catalog.models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    BillingType,
    DeletionWhen,
    ProductKind,
    ProductParameter,
    ProductType,
    TariffPlan,
    ValueType,
)
from openbill.catalog.signals import revise
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
    # A choice: the stored values are codes; each language has its labels (catalog/translation.py).
    ProductParameter.objects.create(
        product_type=vds,
        code="location",
        label="Data centre",
        kind="choice",
        required=False,
        position=1,
        choices=["fra", "ams"],
        choice_labels_en={"fra": "Frankfurt, Germany", "ams": "Amsterdam, Netherlands"},
        choice_labels_es={"fra": "Fráncfort, Alemania", "ams": "Ámsterdam, Países Bajos"},
    )
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
        instruction_template="The certificate for {{ params.domain }} is valid until "
        "{{ service.certificate_until }}. Download it, its chain and its private key with the Certificate, "
        "Chain and Private key buttons of the service page.",
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


SPANISH = {
    # product types
    "Virtual servers": "Servidores virtuales",
    "Virtual hosting": "Hosting virtual",
    "Dedicated servers": "Servidores dedicados",
    "Domain names": "Nombres de dominio",
    "SSL certificates": "Certificados SSL",
    "Virtual data centers": "Centros de datos virtuales",
    "Software licences": "Licencias de software",
    "Other services": "Otros servicios",
    # parameters
    "Host name": "Nombre de host",
    "Data centre": "Centro de datos",
    "Domain": "Dominio",
    "CSR": "CSR",
    # tariffs and their descriptions
    "VPS Start": "VPS Start",
    "VPS Pro": "VPS Pro",
    "VPS Daily": "VPS Diario",
    "Hosting Basic": "Hosting Básico",
    "Hosting Business": "Hosting Empresa",
    "Dedicated E3": "Dedicado E3",
    ".com registration": "Registro .com",
    ".net registration": "Registro .net",
    "Basic SSL": "SSL Básico",
    "VDC Small": "VDC Pequeño",
    "ISPmanager Lite": "ISPmanager Lite",
    "Backup 100 GiB": "Copia de seguridad 100 GiB",
    "1 core, 1 GiB RAM, 20 GiB disk": "1 núcleo, 1 GiB de RAM, 20 GiB de disco",
    "Faster CPUs, NVMe": "CPU más rápidas, NVMe",
    "Billed each day": "Se factura cada día",
    # add-ons and their choices
    "RAM": "RAM",
    "CPU cores": "Núcleos de CPU",
    "Disk": "Disco",
    "Extra IPv4 addresses": "Direcciones IPv4 adicionales",
    "Public IPv4 addresses": "Direcciones IPv4 públicas",
    "Traffic": "Tráfico",
    "Operating system": "Sistema operativo",
    "Debian 12": "Debian 12",
    "Ubuntu 24.04": "Ubuntu 24.04",
    "Windows Server 2022": "Windows Server 2022",
    "CentOS 7 (retired)": "CentOS 7 (retirado)",
}

SPANISH_INSTRUCTIONS = {
    ProductKind.VIRTUAL_SERVER: """Su servidor virtual {{ service.name }} está listo.

Nombre de host: {{ params.hostname }}
Dirección: {{ service.address|default:"asignada al activarse" }}
Inicie sesión como root con la contraseña enviada a {{ client.email }}.
Pagado hasta el {{ service.expires_on }}.""",
    ProductKind.VIRTUAL_HOSTING: "Su hosting para {{ params.domain }} está listo. Panel de control: "
    "https://panel.demo.test/ (usuario {{ client.email }}).",
    ProductKind.DEDICATED_SERVER: "Su servidor dedicado {{ service.name }} está instalado y en marcha. "
    "Sus datos de acceso se enviaron a {{ client.email }}. Pagado hasta el {{ service.expires_on }}.",
    ProductKind.DOMAIN: "{{ params.domain }} está registrado a su nombre. Apúntelo a sus servidores con la "
    "acción NS; está pagado hasta el {{ service.expires_on }}.",
    ProductKind.SSL_CERTIFICATE: "El certificado de {{ params.domain }} es válido hasta "
    "{{ service.certificate_until }}. Descárguelo, con su cadena y su clave privada, con los botones "
    "Certificado, Cadena y Clave privada de la página del servicio.",
    ProductKind.VIRTUAL_DATA_CENTER: "Su centro de datos virtual {{ service.name }} está listo: cree sus "
    "servidores virtuales con la acción Servidores virtuales del servicio.",
    ProductKind.SOFTWARE_LICENCE: "Clave de licencia: {{ params.licence_key|default:'se emite al activarse' }}",
    ProductKind.GENERIC: "{{ service.name }} está activo. Si necesita algo, haga una pregunta desde la "
    "página del servicio.",
}

# The translated texts of each model, by the provider they belong to.
TEXTS: list[tuple[type[models.Model], tuple[str, ...], str]] = [
    (ProductType, ("name",), "provider"),
    (ProductParameter, ("label",), "product_type__provider"),
    (TariffPlan, ("name", "description"), "product_type__provider"),
    (Addon, ("name",), "tariff__product_type__provider"),
    (AddonEnumItem, ("name",), "addon__tariff__product_type__provider"),
]


def finish(demo: Any) -> None:
    """Last, after every app's demo data: the catalog's Spanish texts."""
    translate_to_spanish(demo.provider)


def translate_to_spanish(provider: Any) -> None:
    """Give the provider's catalog its Spanish texts (English texts not in SPANISH stay empty)."""
    for model, fields, path in TEXTS:
        for row in model._default_manager.filter(**{path: provider}):
            changed = {
                f"{field}_es": SPANISH[english]
                for field in fields
                if (english := getattr(row, f"{field}_en") or "") and english in SPANISH
            }
            if changed:
                model._default_manager.filter(pk=row.pk).update(**changed)
    for kind, text in SPANISH_INSTRUCTIONS.items():
        ProductType.objects.filter(provider=provider, kind=kind).exclude(instruction_template_en="").update(
            instruction_template_es=text
        )
    revise()  # the updates above send no signal
