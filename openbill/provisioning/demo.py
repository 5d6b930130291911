"""Demo data of provisioning: a libvirt node on libvirt's test driver (``test:///default``) for
the virtual-server tariffs, so that a reboot, a suspension or a new server in ``make run`` really
runs through the worker and the libvirt module. The test driver keeps machines in the worker's
memory; the demo node re-creates a machine it no longer knows (``recreate_missing``). Everything
else — including the seven In progress demo services — stays on the manual module (staff queue).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from openbill.catalog.models import ProductKind, TariffPlan
from openbill.core.crypto import encrypt
from openbill.services.choices import Status
from openbill.services.models import Service

from .models import Certificate, ProcessingModule
from .modules.acme_ssl import _pem_key


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
    for service in live.filter(product_type__kind=ProductKind.SSL_CERTIFICATE):
        _demo_certificate(service, demo.now)


def _demo_certificate(service: Service, now: Any) -> None:
    """A self-signed certificate for an active demo SSL service, so that its page offers the
    downloads its instruction manual promises."""
    domain = str(service.parameters.get("domain") or "example.test")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    not_after = now + timedelta(days=90)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    Certificate.objects.create(
        service=service,
        domain=domain,
        serial=format(certificate.serial_number, "x"),
        certificate_pem=pem,
        chain_pem=pem,  # self-signed: it is its own issuer
        private_key_encrypted=encrypt(_pem_key(key)),
        not_after=not_after,
        issued_at=now,
    )
