"""The ACME module against Debian's pebble (a real ACME CA) and pebble-challtestsrv: HTTP-01
through a webroot, DNS-01 through the responder API, from a generated key or the client's CSR;
renewal reissues; deletion revokes. Runs through provisioning, as the worker does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.provisioning import actions
from openbill.provisioning.models import Certificate, ProcessingModule, ProvisioningTask
from openbill.services import actions as services
from openbill.services.choices import Status

from . import factories as pf

pytestmark = pytest.mark.django_db
ALICE = Actor("client", None, "alice@test.test")


@pytest.fixture
def ssl_plan(provider: Any) -> Any:
    ptype = f.product_type(provider, "ssl", client_can_suspend=False)
    f.parameter(ptype, "domain", "domain")
    f.parameter(ptype, "csr", "csr", required=False)
    return f.tariff(ptype, "Basic SSL", prices={"year": "10.00"})


def ca_module(provider: Any, plan: Any, pebble: Any, **config: Any) -> ProcessingModule:
    return pf.module(
        provider,
        "acme",
        plan,
        name="Pebble",
        config={
            "directory_url": pebble.directory_url,
            "ca_bundle": pebble.ca_bundle,
            "email": "ca@test.test",
            **config,
        },
    )


def activate(service: Any) -> str:
    now = timezone.now()
    services.request_activation(service, actor=ALICE, now=now)
    return [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)][0]


def run_operation(service: Any, operation: str) -> str:
    now = timezone.now()
    from django.db import transaction

    with transaction.atomic():
        services.start_operation(services.lock(service), operation, actor=ALICE, now=now)
    return [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)][0]


def issued_by_pebble(cert: Certificate, pebble: Any) -> x509.Certificate:
    leaf = x509.load_pem_x509_certificate(cert.certificate_pem.encode())
    chain = x509.load_pem_x509_certificates(cert.chain_pem.encode())
    leaf.verify_directly_issued_by(chain[0])
    return leaf


def test_http01_with_a_key_openbill_generates(
    alice: Any, ssl_plan: Any, provider: Any, pebble: Any, webroot: Path
) -> None:
    module = ca_module(provider, ssl_plan, pebble, challenge="http-01", responder="webroot", webroot=str(webroot))
    service = f.service(alice, ssl_plan, status=Status.ORDERED, parameters={"domain": "shop.alice.test"})

    assert activate(service) == "done"

    service.refresh_from_db()
    cert = Certificate.objects.get(service=service)
    leaf = issued_by_pebble(cert, pebble)
    assert service.status == Status.ACTIVE and service.remote_id == format(leaf.serial_number, "x")
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["shop.alice.test"]
    # The generated key matches the certificate, and is stored only encrypted.
    key = serialization.load_pem_private_key(cert.private_key_pem().encode(), password=None)
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    assert "PRIVATE KEY" not in cert.private_key_encrypted
    task = ProvisioningTask.objects.get(service=service)
    assert "private_key" not in task.result and "account_key" not in task.result
    # The account key the module created is kept on the instance, encrypted.
    module.refresh_from_db()
    assert "PRIVATE KEY" in module.get_secrets()["account_key"]
    assert "PRIVATE KEY" not in module.secrets_encrypted
    assert not any((webroot / ".well-known" / "acme-challenge").iterdir())  # tokens cleaned up


def test_dns01_from_the_clients_csr(alice: Any, ssl_plan: Any, provider: Any, pebble: Any) -> None:
    ca_module(provider, ssl_plan, pebble, challenge="dns-01", responder="api", responder_url=pebble.challtestsrv_url)
    client_key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.alice.test")]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("api.alice.test")]), critical=False)
        .sign(client_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    service = f.service(alice, ssl_plan, status=Status.ORDERED, parameters={"domain": "api.alice.test", "csr": csr})

    assert activate(service) == "done"

    cert = Certificate.objects.get(service=service)
    leaf = issued_by_pebble(cert, pebble)
    assert leaf.public_key().public_numbers() == client_key.public_key().public_numbers()
    assert not cert.has_private_key  # the client keeps its own key


def test_a_csr_for_another_domain_fails_permanently(alice: Any, ssl_plan: Any, provider: Any, pebble: Any) -> None:
    ca_module(provider, ssl_plan, pebble, challenge="dns-01", responder="api", responder_url=pebble.challtestsrv_url)
    other = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evil.test")]))
        .sign(other, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    service = f.service(alice, ssl_plan, status=Status.ORDERED, parameters={"domain": "good.alice.test", "csr": csr})

    assert activate(service) == "failed"
    assert "not for good.alice.test" in ProvisioningTask.objects.get(service=service).last_error
    service.refresh_from_db()
    assert service.label == "In progress (activation)"


def test_renewal_reissues_and_deletion_revokes(
    alice: Any, ssl_plan: Any, provider: Any, pebble: Any, webroot: Path
) -> None:
    ca_module(provider, ssl_plan, pebble, challenge="http-01", responder="webroot", webroot=str(webroot))
    service = f.service(alice, ssl_plan, status=Status.ORDERED, parameters={"domain": "renew.alice.test"})
    assert activate(service) == "done"
    first = Certificate.objects.get(service=service)

    assert run_operation(service, "renewal") == "done"

    second = Certificate.objects.get(service=service)
    assert second.serial != first.serial
    assert second.private_key_pem() == first.private_key_pem()  # reissued with the same key
    issued_by_pebble(second, pebble)

    assert run_operation(service, "deletion") == "done"

    service.refresh_from_db()
    revoked = Certificate.objects.get(service=service)
    assert service.status == Status.DELETED and revoked.revoked_at is not None
    assert pebble.status_of(second.serial)["Status"] == "Revoked"


def test_dns01_through_the_domains_dns_server_by_rfc2136(
    alice: Any, ssl_plan: Any, provider: Any, knot_and_pebble: tuple[Any, Any]
) -> None:
    knot, ca = knot_and_pebble
    module = ca_module(
        provider,
        ssl_plan,
        ca,
        challenge="dns-01",
        responder="rfc2136",
        dns_server="127.0.0.1",
        dns_port=str(knot.port),
        dns_zone=knot.zone,
        tsig_key_name=knot.key_name,
    )
    module.set_secrets({"tsig_secret": knot.secret})
    module.save()
    service = f.service(alice, ssl_plan, status=Status.ORDERED, parameters={"domain": f"mail.{knot.zone}"})

    assert activate(service) == "done"

    issued_by_pebble(Certificate.objects.get(service=service), ca)
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], knot.port
    with pytest.raises(dns.resolver.NXDOMAIN):  # the TXT record was removed afterwards
        resolver.resolve(f"_acme-challenge.mail.{knot.zone}", "TXT")


def test_a_wrong_tsig_secret_is_refused_and_fails_permanently(
    alice: Any, ssl_plan: Any, provider: Any, knot_and_pebble: tuple[Any, Any]
) -> None:
    knot, ca = knot_and_pebble
    module = ca_module(
        provider,
        ssl_plan,
        ca,
        challenge="dns-01",
        responder="rfc2136",
        dns_server="127.0.0.1",
        dns_port=str(knot.port),
        dns_zone=knot.zone,
        tsig_key_name=knot.key_name,
    )
    module.set_secrets({"tsig_secret": "d3JvbmctZG9lcy1ub3QtbWF0Y2gtdGhlLWtleS0xMjM0NQ=="})
    module.save()
    service = f.service(alice, ssl_plan, status=Status.ORDERED, parameters={"domain": f"www.{knot.zone}"})

    result = activate(service)

    task = ProvisioningTask.objects.get(service=service)
    assert result == "failed" and "DNS update" in task.last_error
    assert knot.secret not in task.last_error


def test_the_renew_sweep_charges_then_reissues_the_certificate_through_the_module(
    alice: Any, ssl_plan: Any, provider: Any, pebble: Any, webroot: Path
) -> None:
    from decimal import Decimal

    from openbill.billing.models import Expense
    from openbill.services.models import Service, ServiceEvent
    from openbill.services.sweeps import run_now

    ca_module(provider, ssl_plan, pebble, challenge="http-01", responder="webroot", webroot=str(webroot))
    service = f.service(
        alice,
        ssl_plan,
        status=Status.ORDERED,
        period="year",
        auto_renew=True,
        parameters={"domain": "sweep.alice.test"},
    )
    assert activate(service) == "done"
    first = Certificate.objects.get(service=service)
    now = timezone.now()
    Service.objects.filter(pk=service.pk).update(expires_at=f.due_today(alice, now, hours=1))  # due today

    result = run_now(at=now)

    assert result["renew"]["renewed"] == 1
    assert Expense.objects.filter(service=service, kind="period").exclude(key="first").count() == 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00")
    service.refresh_from_db()
    assert service.operation == "renewal"  # started after the charge, in the sweep's transaction
    assert [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)] == ["done"]
    second = Certificate.objects.get(service=service)
    assert second.serial != first.serial
    issued_by_pebble(second, pebble)
    history = [(e.kind, e.note) for e in ServiceEvent.objects.filter(service=service).order_by("pk")]
    assert history[-3:] == [
        ("renewed", history[-3][1]),
        ("operation started", "renewal"),
        ("operation done", "renewal"),
    ]
