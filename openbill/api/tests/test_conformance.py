"""Every operation of /api/v1/, called for real on real data, answers as its schema says.

The fuzzing test (test_schemathesis.py) mostly meets ids that do not exist; this one walks a
client's whole day through the API — catalog, services with add-ons and history, quotes, cart,
orders, renewals, changes, payments, the ledger, usage, the staff queue — plus every error kind,
and validates each answer (status, content type, headers, body) against /api/v1/schema/ with
schemathesis's checks. An operation added to the schema without a step here fails the test, and
so does one that never answered 2xx: the schema drifts from the code nowhere unnoticed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from openbill.accounts.models import ApiToken
from openbill.core.actors import Actor
from openbill.core.crypto import encrypt
from openbill.core.tests import factories as f
from openbill.domains.tests.conftest import EPP_SECRETS, make_zone, self_signed_tls
from openbill.domains.tests.epp_server import EppServer, Registry
from openbill.invoicing.models import SellerProfile
from openbill.ipam import actions as ipam
from openbill.ipam.models import Address, DnsServer, Pool
from openbill.metering.models import ProviderToken
from openbill.metering.tests.factories import traffic
from openbill.payments.actions import confirm_payment
from openbill.payments.models import Payment
from openbill.payments.tests.stripe_helpers import browser_sets_up_card
from openbill.provisioning import actions as provisioning
from openbill.provisioning import staff as staff_ops
from openbill.provisioning.models import Certificate, ProvisioningTask, TaskState
from openbill.provisioning.tests import factories as pf
from openbill.services.choices import Operation, Status
from openbill.support import actions as support
from openbill.support.models import Department
from openbill.vdc import runner as machines
from openbill.vdc.models import MachineTemplate

from .factories import rate_overage

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


class Api:
    """Calls operations by (method, path template) and validates every answer."""

    def __init__(self) -> None:
        self.answers: dict[str, list[int]] = defaultdict(list)
        self.failures: list[str] = []

    def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        ids: dict[str, Any] | None = None,
        body: Any = None,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        media_type: str = "application/json",
    ) -> Any:
        operation = schema[path][method.upper()]
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"path_parameters": ids or {}, "query": query or {}, "headers": all_headers}
        if body is not None:
            kwargs["body"] = body
            kwargs["media_type"] = media_type
        case = operation.Case(**kwargs)
        response = case.call()
        label = f"{method.upper()} {path}"
        self.answers[label].append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as exc:  # schemathesis FailureGroup: what does not conform
            self.failures += [f"{label} → {response.status_code}: {failure}" for failure in exc.exceptions]
        return response


@pytest.fixture(autouse=True)
def _wsgi_shares_the_test_connection() -> Iterator[None]:
    # The WSGI handler closes "old" connections at each request's start and end; on PostgreSQL
    # that would close the test's own connection (and its transaction) under it.
    cache.clear()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Uploading a file: schemathesis names a multipart file after its field, so no name with an
# accepted extension can be sent through it; openbill/domains/tests/test_verify.py covers it.
# A restore needs a domain in redemption (months after its expiry): openbill/domains/tests/
# test_expiry.py calls it on a frozen clock and checks its 202 and 409 against the registry.
NOT_CALLED = {"POST /api/v1/domains/{id}/verify/", "POST /api/v1/domains/{id}/restore/"}

DOMAIN_CONTACT = {
    "name": "Alice",
    "street": "1 Main St",
    "city": "Madrid",
    "country": "ES",
    "phone": "+34.911234567",
    "email": "a@test.test",
}


def _run_machines() -> None:
    now = timezone.now()
    for pk in machines.due_machine_ids(now=now):
        machines.run_operation(pk, now=now)


def _run_tasks() -> None:
    now = timezone.now()
    for pk in provisioning.due_task_ids(now=now):
        provisioning.run(pk, worker="conformance", now=now)


def test_every_operation_answers_as_its_schema_says(
    alice, alice_user, bob, staff, provider, vps_type, tmp_path, stripe_on
):
    # Given: a catalog with add-ons of every kind, alice's services in several states, usage,
    # a certificate, a provider token, and bob's service next door.
    vps_type.deletion_when = "period_end"
    vps_type.save(update_fields=["deletion_when"])
    f.parameter(vps_type, "hostname", required=True)
    plan = f.tariff(vps_type, "VPS-1", prices={"month": "10.00", "year": "100.00"}, setup_fee="5.00")
    bigger = f.tariff(vps_type, "VPS-2", prices={"month": "20.00", "year": "200.00"})
    plan.changeable_to.add(bigger)
    ram = f.addon(plan, "ram", prices={"month": "1.50", "year": "15.00"}, included=Decimal(1), maximum=Decimal(64))
    os_addon = f.enum_addon(plan, "os", {"debian": {"month": "0"}, "windows": {"month": "5", "year": "50"}})
    f.addon(bigger, "ram", prices={"month": "1.50", "year": "15.00"}, included=Decimal(1), maximum=Decimal(64))
    usage_addon = traffic(plan)
    manual = pf.module(provider, "manual", plan, bigger)
    debian = os_addon.items.get(code="debian")
    web = f.service(
        alice, plan, name="web-1", module=manual, addons={ram: "2"}, parameters={"hostname": "web.example.com"}
    )
    web.addons.create(addon=os_addon, enum_item=debian, quantity=Decimal(1))
    db = f.service(alice, plan, name="db-1", module=manual, parameters={"hostname": "db.example.com"})
    spare = f.service(alice, plan, name="spare", module=manual, parameters={"hostname": "spare.example.com"})
    quick = f.service(alice, plan, name="quick", module=manual, status=Status.CONFIGURATION_REQUIRED)
    busy = f.service(alice, plan, name="busy", module=manual, operation=Operation.REBOOT)
    extra = f.service(alice, plan, name="extra", module=manual, parameters={"hostname": "x.example.com"})
    rate_overage(web, usage_addon, "3.25", timezone.now())
    ssl = f.tariff(f.product_type(provider, "ssl"), "SSL")
    cert_service = f.service(alice, ssl, name="shop.test")
    Certificate.objects.create(
        service=cert_service,
        domain="shop.test",
        serial="ab",
        certificate_pem="LEAF",
        chain_pem="CA",
        private_key_encrypted=encrypt("KEY"),
        not_after=timezone.now() + timedelta(days=90),
        issued_at=timezone.now(),
    )
    bobs = f.service(bob, plan, name="bob-1")
    _, alice_token = ApiToken.issue(alice_user, "conformance")
    _, staff_token = ApiToken.issue(staff, "conformance")
    _, provider_token = ProviderToken.issue(provider, "meter")
    api = Api()
    A = alice_token

    # When: a client's whole day, every operation at least once.
    api.call("GET", "/api/v1/me/", A)
    api.call("GET", "/api/v1/balance/", A)
    types = api.call("GET", "/api/v1/catalog/product-types/", A).json()["results"]
    api.call("GET", "/api/v1/catalog/product-types/{id}/", A, ids={"id": types[0]["id"]})
    api.call("GET", "/api/v1/catalog/tariffs/", A, query={"product_type": vps_type.pk})
    api.call("GET", "/api/v1/catalog/tariffs/{id}/", A, ids={"id": plan.pk})
    api.call("GET", "/api/v1/dashboard/active-services/", A)
    overages = api.call("GET", "/api/v1/dashboard/overages/", A).json()["results"]
    assert overages and overages[0]["overage_amount"] == "3.25"
    listed = api.call("GET", "/api/v1/services/", A, query={"ordering": ["-status", "name"]}).json()
    assert listed["count"] == 7
    api.call("GET", "/api/v1/services/", A, query={"label_code": "in_progress", "status": "active"})
    api.call("GET", "/api/v1/services/", A, query={"name": "web" * 3000})  # a long query string
    detail = api.call("GET", "/api/v1/services/{id}/", A, ids={"id": web.pk}).json()
    assert {line["quantity"] for line in detail["addons"]} == {"2", "1"}
    api.call("GET", "/api/v1/services/{id}/instructions/", A, ids={"id": web.pk})
    api.call("GET", "/api/v1/services/{id}/statistics/", A, ids={"id": web.pk})
    api.call("GET", "/api/v1/services/{id}/overage/", A, ids={"id": web.pk})
    api.call("GET", "/api/v1/services/{id}/certificate/", A, ids={"id": cert_service.pk})
    api.call("GET", "/api/v1/payment-methods/", A)

    api.call(
        "POST",
        "/api/v1/orders/quote/",
        A,
        body={
            "tariff": plan.pk,
            "period": "month",
            "addons": {"ram": "3"},
            "parameters": {"hostname": "q.example.com"},
        },
    )
    line = api.call(
        "POST",
        "/api/v1/cart/",
        A,
        body={"tariff": plan.pk, "period": "month", "parameters": {"hostname": "a.example.com"}},
        headers={"Idempotency-Key": "cart-1"},
    ).json()
    replay = api.call(
        "POST",
        "/api/v1/cart/",
        A,
        body={"tariff": plan.pk, "period": "month", "parameters": {"hostname": "a.example.com"}},
        headers={"Idempotency-Key": "cart-1"},
    )
    assert replay.headers.get("idempotent-replayed") == ["true"]
    api.call(
        "POST", "/api/v1/cart/", A, body={"tariff": plan.pk, "period": "year"}, headers={"Idempotency-Key": "cart-1"}
    )
    api.call("GET", "/api/v1/cart/", A)
    api.call("DELETE", "/api/v1/cart/{id}/", A, ids={"id": line["id"]})
    api.call(
        "POST",
        "/api/v1/cart/",
        A,
        body={"tariff": plan.pk, "period": "month", "parameters": {"hostname": "b.example.com"}},
    )
    api.call("POST", "/api/v1/cart/empty/", A)
    api.call(
        "POST",
        "/api/v1/cart/",
        A,
        body={"tariff": plan.pk, "period": "month", "parameters": {"hostname": "c.example.com"}},
    )
    api.call("POST", "/api/v1/cart/checkout/", A, body={"pay": True})
    pending = api.call(
        "POST",
        "/api/v1/orders/",
        A,
        body={"tariff": plan.pk, "period": "month", "pay": False, "parameters": {"hostname": "d.example.com"}},
    ).json()
    api.call("GET", "/api/v1/orders/", A)
    api.call("GET", "/api/v1/orders/{id}/", A, ids={"id": pending["id"]})
    api.call("POST", "/api/v1/orders/{id}/pay/", A, ids={"id": pending["id"]})

    renew_quote = api.call("POST", "/api/v1/services/{id}/renew/quote/", A, ids={"id": web.pk}, body={}).json()
    api.call(
        "POST",
        "/api/v1/services/{id}/renew/",
        A,
        ids={"id": web.pk},
        body={"period": renew_quote["period"], "expected_start": renew_quote["period_start"]},
    )
    change_quote = api.call(
        "POST", "/api/v1/services/{id}/change/quote/", A, ids={"id": db.pk}, body={"addons": {"ram": "4"}}
    ).json()
    api.call(
        "POST",
        "/api/v1/services/{id}/change/",
        A,
        ids={"id": db.pk},
        body={"addons": {"ram": "4"}, "expected_total": change_quote["total"]},
    )
    api.call(
        "POST",
        "/api/v1/services/{id}/configure/",
        A,
        ids={"id": quick.pk},
        body={"parameters": {"hostname": "quick.example.com"}},
    )
    api.call("POST", "/api/v1/services/{id}/reboot/", A, ids={"id": web.pk})
    api.call("POST", "/api/v1/services/{id}/suspend/", A, ids={"id": spare.pk})
    _run_tasks()
    _complete_waiting_tasks()
    api.call("POST", "/api/v1/services/{id}/resume/", A, ids={"id": spare.pk})
    api.call("GET", "/api/v1/services/{id}/history/", A, ids={"id": spare.pk})
    api.call("POST", "/api/v1/services/{id}/delete/", A, ids={"id": db.pk})
    api.call("POST", "/api/v1/services/{id}/cancel-deletion/", A, ids={"id": db.pk})

    entries = api.call("GET", "/api/v1/ledger/", A).json()["results"]
    api.call("GET", "/api/v1/ledger/{id}/", A, ids={"id": entries[0]["id"]})
    api.call("POST", "/api/v1/payments/", A, body={"method": "bank", "amount": "25.00"})
    payments = api.call("GET", "/api/v1/payments/", A).json()["results"]
    api.call("GET", "/api/v1/payments/{id}/", A, ids={"id": payments[0]["id"]})
    # Cards (Stripe, against localstripe): add one set up in "Stripe.js", pay with it, refund.
    api.call("POST", "/api/v1/cards/setup/", A)
    api.call("POST", "/api/v1/cards/", A, body={"setup_intent": "seti_unknown"})  # 400: not set up
    card = api.call("POST", "/api/v1/cards/", A, body={"setup_intent": browser_sets_up_card(alice)}).json()
    api.call("GET", "/api/v1/cards/", A)
    api.call("POST", "/api/v1/cards/{id}/default/", A, ids={"id": card["id"]})
    started = api.call("POST", "/api/v1/payments/", A, body={"method": "stripe", "amount": "20.00"}).json()
    paid = api.call(
        "POST", "/api/v1/payments/{id}/pay-by-card/", A, ids={"id": started["payment"]["id"]}, body={"card": card["id"]}
    ).json()
    assert paid["outcome"] == "credited", paid
    api.call(  # 409: already paid
        "POST", "/api/v1/payments/{id}/pay-by-card/", A, ids={"id": started["payment"]["id"]}, body={"card": card["id"]}
    )
    api.call(
        "POST",
        "/api/v1/staff/payments/{id}/refund/",
        staff_token,
        ids={"id": started["payment"]["id"]},
        body={"amount": "5.00", "reason": "goodwill"},
    )
    api.call("DELETE", "/api/v1/cards/{id}/", A, ids={"id": card["id"]})

    # Invoices: the provider enters its legal details, alice her billing profile; a payment
    # received is invoiced.
    SellerProfile.objects.create(
        provider=provider, legal_name="Test Hosting S.L.", address="Madrid", country="ES", tax_id="ESB12345674"
    )
    profile = {"kind": "person", "legal_name": "Alice", "address": "Street 1", "country": "ES"}
    api.call("PUT", "/api/v1/billing-profile/", A, body=profile)
    api.call("GET", "/api/v1/billing-profile/", A)
    paid = api.call("POST", "/api/v1/payments/", A, body={"method": "bank", "amount": "12.00"}).json()
    confirm_payment(Payment.objects.get(pk=paid["payment"]["id"]), actor=Actor("staff"), now=timezone.now())
    invoices = api.call("GET", "/api/v1/invoices/", A).json()["results"]
    api.call("GET", "/api/v1/invoices/{id}/", A, ids={"id": invoices[0]["id"]})
    api.call("GET", "/api/v1/invoices/{id}/pdf/", A, ids={"id": invoices[0]["id"]})

    token = api.call("POST", "/api/v1/tokens/", A, body={"name": "ci"}).json()
    api.call("GET", "/api/v1/tokens/", A)
    api.call("GET", "/api/v1/tokens/{id}/", A, ids={"id": token["id"]})
    api.call("DELETE", "/api/v1/tokens/{id}/", A, ids={"id": token["id"]})

    at = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    record = {"id": "u1", "service": web.pk, "resource": "rx_bytes", "at": at.isoformat(), "quantity": "1.5"}
    api.call("POST", "/api/v1/usage/", provider_token, body={"records": [record, {**record, "id": "u2", "service": 0}]})

    # Support: ask (about a service), read, reply, close; a file; the departments.
    department = Department.objects.create(provider=provider, name="Technical")
    api.call("GET", "/api/v1/support/departments/", A)
    asked = api.call("POST", "/api/v1/tickets/", A, body={"subject": "Disk?", "body": "Full", "service": web.pk}).json()
    api.call("GET", "/api/v1/tickets/", A)
    api.call("GET", "/api/v1/tickets/{id}/", A, ids={"id": asked["id"]})
    api.call("POST", "/api/v1/tickets/{id}/reply/", A, ids={"id": asked["id"]}, body={"body": "Still full"})
    api.call("POST", "/api/v1/tickets/{id}/close/", A, ids={"id": asked["id"]})
    with_file = support.open_ticket(
        alice, subject="Log", body="see file", department=department, files=[("boot.log", b"ok\n")],
        actor=Actor("client"), now=timezone.now(),
    )  # fmt: skip
    attachment = with_file.messages.get().attachments.get()
    api.call("GET", "/api/v1/tickets/attachments/{id}/", A, ids={"id": attachment.pk})

    # IP addresses: a pool, a server with its main address; one more ordered, renamed, deleted.
    ip_plan = f.tariff(vps_type, "VPS-IP", prices={"month": "10.00"})
    f.addon(ip_plan, "ipv4", prices={"month": "3.10"}, maximum=Decimal(4), name="Additional IPv4")
    ns = DnsServer.objects.create(provider=provider, name="ns", host="127.0.0.1", port=9)  # never reached here
    pool = Pool(
        provider=provider,
        name="v4",
        prefix="198.51.100.0/29",
        gateway="198.51.100.1",
        reverse_zone="100.51.198.in-addr.arpa",
        dns_server=ns,
    )
    pool.full_clean()
    pool.save()
    pool.tariffs.set([ip_plan])
    ip_server = f.service(alice, ip_plan, name="ip-1", module=manual)
    ipam.allocate(ip_server, now=timezone.now(), actor=Actor.system())
    server_ids = {"id": ip_server.pk}
    api.call("GET", "/api/v1/services/{id}/ips/", A, ids=server_ids)
    ip_quote = api.call("GET", "/api/v1/services/{id}/ips/quote/", A, ids=server_ids).json()
    api.call("POST", "/api/v1/services/{id}/ips/", A, ids=server_ids, body={"expected_total": ip_quote["total"]})
    _run_tasks()
    _complete_waiting_tasks()
    extra_ip = Address.objects.filter(service=ip_server, main=False).order_by("pk").last()
    assert extra_ip is not None
    ip_ids = {"id": ip_server.pk, "ip": extra_ip.address}
    api.call("PATCH", "/api/v1/services/{id}/ips/{ip}/", A, ids=ip_ids, body={"ptr_name": "mail.example.com"})
    api.call("DELETE", "/api/v1/services/{id}/ips/{ip}/", A, ids=ip_ids)
    api.call("GET", "/api/v1/staff/ipam/pools/", staff_token)
    api.call("GET", "/api/v1/staff/ipam/pools/{id}/", staff_token, ids={"id": pool.pk})

    # A virtual data center: its pool and templates, a machine created, stopped, started, rebooted
    # and deleted (real libvirt test-driver domains).
    vdc_type = f.product_type(provider, "vdc")
    vdc_plan = f.tariff(vdc_type, "VDC-S", prices={"month": "50.00"})
    for resource, quantity in {"cpu": "8", "ram": "16", "disk": "200", "machines": "4"}.items():
        f.addon(vdc_plan, resource, included=quantity, minimum="0", prices={"month": "1.00"})
    vdc_host = pf.module(provider, "libvirt_vdc", vdc_plan, config={"uri": pf.libvirt_node(tmp_path)})
    dc = f.service(alice, vdc_plan, name="dc", module=vdc_host)
    image = MachineTemplate.objects.create(provider=provider, name="Debian 12", image="debian-12.qcow2")
    dc_ids = {"service_pk": dc.pk}
    api.call("GET", "/api/v1/services/{service_pk}/machines/templates/", A, ids=dc_ids)
    api.call("GET", "/api/v1/services/{service_pk}/machines/pool/", A, ids=dc_ids)
    made = api.call(
        "POST",
        "/api/v1/services/{service_pk}/machines/",
        A,
        ids=dc_ids,
        body={"name": "web-1", "template": image.pk, "cpu": 2, "ram": 2, "disk": 20},
    ).json()
    _run_machines()
    machine_ids = {**dc_ids, "id": made["id"]}
    api.call("GET", "/api/v1/services/{service_pk}/machines/", A, ids=dc_ids)
    api.call("GET", "/api/v1/services/{service_pk}/machines/{id}/", A, ids=machine_ids)
    for verb in ("stop", "start", "reboot"):
        api.call("POST", f"/api/v1/services/{{service_pk}}/machines/{{id}}/{verb}/", A, ids=machine_ids)
        _run_machines()
    api.call("DELETE", "/api/v1/services/{service_pk}/machines/{id}/", A, ids=machine_ids)
    _run_machines()

    # Domains: a zone sold through the test suite's EPP registry; check, a contact, an order,
    # the domain's page, NS, Whois and delegation.
    registry = Registry(tlds=("test",))
    registry.add_account("openbill", EPP_SECRETS["password"])
    tls, ca_bundle = self_signed_tls(tmp_path)
    with EppServer(registry, tls_context=tls) as epp:
        epp_config = {
            "host": "127.0.0.1",
            "port": str(epp.port),
            "tls": "yes",
            "ca_bundle": ca_bundle,
            "client_id": "openbill",
            "timeout": "5",
        }
        registrar = pf.module(provider, "epp", name="Test registry", config=epp_config, secrets=EPP_SECRETS)
        make_zone(provider, "test", registrar, verification_required=True, verification_email="docs@registry.test")
        api.call("POST", "/api/v1/domains/check/", A, body={"names": "alice.test"})
        contact = api.call("POST", "/api/v1/domains/contacts/", A, body=DOMAIN_CONTACT).json()
        api.call("GET", "/api/v1/domains/contacts/", A)
        api.call("GET", "/api/v1/domains/contacts/{id}/", A, ids={"id": contact["id"]})
        api.call("PATCH", "/api/v1/domains/contacts/{id}/", A, ids={"id": contact["id"]}, body={"city": "Cambridge"})
        ordered = api.call(
            "POST",
            "/api/v1/domains/order/",
            A,
            body={"name": "alice.test", "action": "register", "owner": contact["id"]},
        ).json()
        domain_ids = {"id": ordered["service"]}
        api.call("GET", "/api/v1/domains/", A)
        api.call("GET", "/api/v1/domains/{id}/", A, ids=domain_ids)
        api.call(
            "PUT", "/api/v1/domains/{id}/ns/", A, ids=domain_ids, body={"ns": ["ns1.example.net", "ns2.example.net"]}
        )
        api.call("PUT", "/api/v1/domains/{id}/contacts/", A, ids=domain_ids, body={"owner": contact["id"]})
        api.call("POST", "/api/v1/domains/{id}/whois/", A, ids=domain_ids)
        api.call("POST", "/api/v1/domains/{id}/delegation/", A, ids=domain_ids)

    # The account: language, users, sessions, password.
    api.call("PUT", "/api/v1/account/language/", A, body={"language": "en"})
    api.call("GET", "/api/v1/account/users/", A)
    api.call("POST", "/api/v1/account/log-out-other-sessions/", A)
    api.call(
        "POST",
        "/api/v1/account/password/",
        A,
        body={"old_password": f.PASSWORD, "new_password": "A-much-longer-passw0rd"},
    )

    # The staff queue: suspensions by staff wait for a person with the manual module.
    S = staff_token
    api.call("POST", "/api/v1/staff/services/{id}/suspend/", S, ids={"id": busy.pk})
    for service in (web, spare, extra):
        api.call("POST", "/api/v1/staff/services/{id}/suspend/", S, ids={"id": service.pk})
    _run_tasks()
    waiting = list(ProvisioningTask.objects.filter(state=TaskState.WAITING_STAFF).order_by("id"))
    assert len(waiting) >= 3
    api.call("GET", "/api/v1/staff/tasks/", S)
    api.call("GET", "/api/v1/staff/tasks/{id}/", S, ids={"id": waiting[0].pk})
    resume, suspension, other = waiting[:3]
    # The client's resume of "spare" is no longer wanted once staff suspended it: cancelled.
    api.call("POST", "/api/v1/staff/tasks/{id}/cancel/", S, ids={"id": resume.pk}, body={"note": "no"})
    api.call("POST", "/api/v1/staff/tasks/{id}/complete/", S, ids={"id": suspension.pk}, body={"note": "done"})
    api.call("POST", "/api/v1/staff/tasks/{id}/retry/", S, ids={"id": other.pk})
    _run_tasks()
    _complete_waiting_tasks()
    api.call("POST", "/api/v1/staff/services/{id}/resume/", S, ids={"id": spare.pk})
    api.call("POST", "/api/v1/staff/services/{id}/delete/", S, ids={"id": bobs.pk}, body={"at_period_end": True})
    code = {"provider": provider.pk, "code": "conf", "kind": "amount", "value": "2.00", "periods": ["month"]}
    made = api.call("POST", "/api/v1/staff/promo-codes/", S, body=code).json()
    api.call("POST", "/api/v1/staff/promo-codes/", S, body={**code, "kind": "gift"})  # 400
    api.call("GET", "/api/v1/staff/promo-codes/", S, query={"provider": provider.pk})
    api.call("GET", "/api/v1/staff/promo-codes/{id}/", S, ids={"id": made["id"]})
    api.call("POST", "/api/v1/staff/promo-codes/{id}/deactivate/", S, ids={"id": made["id"]})
    api.call("POST", "/api/v1/staff/promo-codes/{id}/deactivate/", S, ids={"id": made["id"]})  # 409
    api.call("DELETE", "/api/v1/staff/promo-codes/{id}/", S, ids={"id": made["id"]})

    # And every kind of error.
    api.call("POST", "/api/v1/cart/", A, body={"tariff": plan.pk, "period": "fortnight"})  # 400
    api.call("GET", "/api/v1/services/", A, query={"ordering": ["name", "client"]})  # 400
    api.call("GET", "/api/v1/services/", "obt_not-a-token")  # 401
    api.call("GET", "/api/v1/services/", staff_token)  # 403: staff without a client account
    api.call("GET", "/api/v1/services/{id}/", A, ids={"id": bobs.pk})  # 404
    conflict = api.call("POST", "/api/v1/services/{id}/reboot/", A, ids={"id": busy.pk})
    assert conflict.status_code == 409, conflict.json()
    poor = api.call(
        "POST",
        "/api/v1/orders/",
        A,
        body={"tariff": bigger.pk, "period": "year", "pay": True, "parameters": {"hostname": "big.example.com"}},
    )
    assert poor.status_code == 402, poor.json()
    for _ in range(25):  # 429 once the failed token attempts of this address are used up
        last = api.call("GET", "/api/v1/balance/", "obt_wrong")
    assert last.status_code == 429

    # Then: every answer conformed, every operation was called and answered 2xx at least once.
    assert api.failures == [], "\n".join(api.failures)
    assert Decimal(0) <= Decimal(change_quote["share"]) <= 1
    operations = {f"{op.method.upper()} {op.path}" for op in (r.ok() for r in schema.get_all_operations())}
    assert operations - set(api.answers) == NOT_CALLED, "operations this test does not call"
    never_ok = {label for label, codes in api.answers.items() if not any(200 <= code < 300 for code in codes)}
    assert never_ok == set()
    seen = {code for codes in api.answers.values() for code in codes}
    assert {400, 401, 402, 403, 404, 409, 422, 429} <= seen


def _complete_waiting_tasks() -> None:
    from django.contrib.auth import get_user_model

    from openbill.core.actors import Actor

    staff = get_user_model().objects.filter(is_staff=True).first()
    actor = Actor.of_user(staff) if staff else Actor.system()
    for task in ProvisioningTask.objects.filter(state=TaskState.WAITING_STAFF):
        staff_ops.staff_complete(task, actor=actor, now=timezone.now())
