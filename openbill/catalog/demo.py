"""The demo catalog in Spanish: every client-facing text of the demo provider's catalog gets its
Spanish value (catalog/translation.py), found by its English text; instruction manuals by the
product type's kind. Runs after the other apps' demo data, so their add-ons are translated too."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import Addon, AddonEnumItem, ProductKind, ProductParameter, ProductType, TariffPlan

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
    ProductKind.SSL_CERTIFICATE: "Descargue el certificado de {{ params.domain }} desde la página del servicio.",
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


def extend(demo: Any) -> None:
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
