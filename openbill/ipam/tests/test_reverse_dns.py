"""Reverse names against a real authoritative server: Knot DNS started by the tests on a loopback
port, with throw-away reverse zones and a forward zone. After the worker's update, a DNS query
to that server answers the new PTR; deleting the address removes it; a refused update is shown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dns.resolver
import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openbill.accounts.models import User
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.tests import factories as f
from openbill.ipam import actions as ipam
from openbill.ipam import sweeps
from openbill.ipam.models import Address, DnsServer, Pool, PtrState, ReverseDnsPolicy
from openbill.provisioning.tests import pebble as servers

from .conftest import make_pool

ALICE = Actor("client", None, "alice@test.test")
REVERSE_V4 = "113.0.203.in-addr.arpa"
REVERSE_V6 = "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa"


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Knot]:
    server = servers.start_knot(
        tmp_path_factory.mktemp("knot-ipam"),
        zone="example.test",
        extra_zones={REVERSE_V4: "", REVERSE_V6: "", "forward.test": "mail A 203.0.113.3\nelsewhere A 192.0.2.1\n"},
    )
    yield server
    server.stop()


def ask(knot: servers.Knot, name: str, rdtype: str = "PTR") -> list[str]:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = knot.port
    try:
        return [r.to_text() for r in resolver.resolve(name, rdtype, lifetime=3)]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []


@pytest.fixture
def dns_server(provider: Any, knot: servers.Knot) -> DnsServer:
    server = DnsServer(provider=provider, name="Knot", host="127.0.0.1", port=knot.port, tsig_key_name=knot.key_name)
    server.set_secret(knot.secret)
    server.save()
    return server


@pytest.fixture
def address(alice: Any, vps_plan: Any, provider: Any, dns_server: DnsServer) -> Address:
    pool = make_pool(
        provider,
        "203.0.113.0/29",
        gateway="203.0.113.1",
        excluded="203.0.113.2",
        reverse_zone=REVERSE_V4,
        dns_server=dns_server,
    )
    service = f.service(alice, vps_plan, name="Web server")
    ipam.allocate(service, now=timezone.now(), actor=ALICE)
    return Address.objects.select_related("pool__dns_server", "service").get(pool=pool)


def run_sweep(now: Any) -> dict[str, Any]:
    return sweeps.run(now)


def test_a_reverse_name_is_written_by_the_worker_and_answered_by_the_dns_server(
    knot: servers.Knot, address: Address
) -> None:
    now = timezone.now()
    ipam.set_ptr(address, "Mail.Example.COM.", actor=ALICE, now=now)
    address.refresh_from_db()
    assert (address.ptr_name, address.ptr_state) == ("mail.example.com", PtrState.PENDING)
    assert ask(knot, "3.113.0.203.in-addr.arpa") == []  # nothing until the worker runs

    assert run_sweep(now)["ptr"] == {address.pk: "done"}

    address.refresh_from_db()
    assert (address.ptr_state, address.ptr_published) == (PtrState.DONE, "mail.example.com")
    assert ask(knot, "3.113.0.203.in-addr.arpa") == ["mail.example.com."]

    # A new name replaces the old one; then deleting the address removes it.
    ipam.set_ptr(address, "www.example.com", actor=ALICE, now=now)
    run_sweep(now)
    assert ask(knot, "3.113.0.203.in-addr.arpa") == ["www.example.com."]
    ipam.release(address, now=now, actor=ALICE)
    assert run_sweep(now)["ptr"] == {address.pk: "done"}
    assert ask(knot, "3.113.0.203.in-addr.arpa") == []
    address.refresh_from_db()
    assert address.ptr_published == "" and address.ptr_state == PtrState.NONE


def test_ipv6_reverse_names_too(
    knot: servers.Knot, alice: Any, vps_plan: Any, provider: Any, dns_server: DnsServer
) -> None:
    f.addon(vps_plan, "ipv6", included=1, minimum=1)
    make_pool(provider, "2001:db8:10::/48", reverse_zone=REVERSE_V6, dns_server=dns_server)
    service = f.service(alice, vps_plan)
    ipam.allocate(service, now=timezone.now(), actor=ALICE)
    six = Address.objects.select_related("pool__dns_server").get(service=service, version=6)
    assert six.address == "2001:db8:10::1"
    ipam.set_ptr(six, "v6.example.com", actor=ALICE, now=timezone.now())
    assert ipam.publish(six.pk, now=timezone.now()) == "done"
    assert ask(knot, six.ip.reverse_pointer) == ["v6.example.com."]


def test_a_refused_update_is_shown_in_plain_words(
    knot: servers.Knot, address: Address, dns_server: DnsServer, alice_user: Any
) -> None:
    dns_server.set_secret("d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyBzZWNyZXQ=")  # not the server's key
    dns_server.save()
    now = timezone.now()
    ipam.set_ptr(address, "mail.example.com", actor=ALICE, now=now)

    assert ipam.publish(address.pk, now=now) == "error"

    address.refresh_from_db()
    assert address.ptr_state == PtrState.ERROR
    assert address.ptr_error.startswith(
        "The DNS server refused the reverse name: it does not accept Openbill's key (the provider must check"
    )
    assert ask(knot, "3.113.0.203.in-addr.arpa") == []
    http = HttpClient()
    http.force_login(alice_user)
    page = http.get(reverse("clientarea:service_ips", args=[address.service_id])).content.decode()
    assert "it does not accept Openbill&#x27;s key" in page


def test_an_unreachable_server_is_retried_with_backoff_and_shown_pending(
    knot: servers.Knot, address: Address, dns_server: DnsServer, alice_user: Any
) -> None:
    dns_server.port = servers.free_port()  # nothing listens there
    dns_server.save()
    now = timezone.now()
    ipam.set_ptr(address, "mail.example.com", actor=ALICE, now=now)

    assert ipam.publish(address.pk, now=now) == "retry"
    address.refresh_from_db()
    assert address.ptr_state == PtrState.PENDING and address.ptr_attempts == 1
    assert address.ptr_next_attempt_at == now + timedelta(seconds=30)
    assert run_sweep(now + timedelta(seconds=10))["ptr"] == {}  # not due yet
    http = HttpClient()
    http.force_login(alice_user)
    page = http.get(reverse("clientarea:service_ips", args=[address.service_id])).content.decode()
    assert "Pending" in page

    # After the last attempt the tab shows the error instead of waiting for ever.
    Address.objects.filter(pk=address.pk).update(ptr_attempts=ipam.PTR_MAX_ATTEMPTS - 1)
    assert ipam.publish(address.pk, now=now) == "error"
    address.refresh_from_db()
    assert address.ptr_state == PtrState.ERROR
    assert address.ptr_error.startswith("The DNS server refused the reverse name: it did not answer.")
    ipam.set_ptr(address, "mail.example.com", actor=ALICE, now=now)  # the client tries again

    dns_server.port = knot.port  # the server is back
    dns_server.save()
    assert run_sweep(now + timedelta(seconds=1))["ptr"] == {address.pk: "done"}
    assert ask(knot, "3.113.0.203.in-addr.arpa") == ["mail.example.com."]


@pytest.mark.parametrize(
    "name",
    ["-bad.example.com", "bad_name.example.com", "nodots", "a" * 64 + ".example.com", "x." * 126 + "com", "host.123"],
)
def test_an_invalid_name_is_refused_and_changes_nothing(address: Address, name: str) -> None:
    with pytest.raises(DomainError) as error:
        ipam.set_ptr(address, name, actor=ALICE, now=timezone.now())
    assert error.value.field == "ptr_name"
    address.refresh_from_db()
    assert address.ptr_name == "" and address.ptr_state == PtrState.NONE


def test_the_provider_may_require_the_name_to_resolve_to_the_address(
    knot: servers.Knot, address: Address, provider: Any
) -> None:
    # Without the provider's policy any host name is taken; another provider's policy is not this one's.
    other = f.provider(name="Other provider")
    ReverseDnsPolicy.objects.create(provider=other, require_forward=True, resolver=f"127.0.0.1:{knot.port}")
    ipam.set_ptr(address, "elsewhere.forward.test", actor=ALICE, now=timezone.now())

    ReverseDnsPolicy.objects.create(provider=provider, require_forward=True, resolver=f"127.0.0.1:{knot.port}")
    address.refresh_from_db()
    with pytest.raises(DomainError, match="does not resolve to 203.0.113.3"):
        ipam.set_ptr(address, "elsewhere.forward.test", actor=ALICE, now=timezone.now())
    ipam.set_ptr(address, "mail.forward.test", actor=ALICE, now=timezone.now())
    assert ipam.publish(address.pk, now=timezone.now()) == "done"
    assert ask(knot, "3.113.0.203.in-addr.arpa") == ["mail.forward.test."]


def test_the_tab_and_the_api_set_a_reverse_name(knot: servers.Knot, address: Address, alice_user: Any) -> None:
    from openbill.api.tests.conftest import token_client

    http = HttpClient()
    http.force_login(alice_user)
    url = reverse("clientarea:service_ip_ptr", args=[address.service_id, address.pk])
    assert http.post(url, {"ptr_name": "bad name"}).status_code == 302
    address.refresh_from_db()
    assert address.ptr_name == ""
    http.post(url, {"ptr_name": "tab.example.com"})
    address.refresh_from_db()
    assert (address.ptr_name, address.ptr_state) == ("tab.example.com", PtrState.PENDING)

    api = token_client(alice_user)
    answer = api.patch(
        f"/api/v1/services/{address.service_id}/ips/203.0.113.3/", {"ptr_name": "api.example.com"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert (answer.json()["ptr_name"], answer.json()["ptr_state"]) == ("api.example.com", "pending")
    bad = api.patch(f"/api/v1/services/{address.service_id}/ips/203.0.113.3/", {"ptr_name": "x"}, format="json")
    assert bad.status_code == 400 and "ptr_name" in bad.json()
    run_sweep(timezone.now())
    assert ask(knot, "3.113.0.203.in-addr.arpa") == ["api.example.com."]
    assert api.get(f"/api/v1/services/{address.service_id}/ips/").json()["results"][0]["ptr_state"] == "done"


def test_a_pool_without_a_dns_server_refuses_reverse_names(alice: Any, vps_plan: Any, provider: Any) -> None:
    pool = make_pool(provider, "198.51.100.0/29")
    service = f.service(alice, vps_plan)
    ipam.allocate(service, now=timezone.now(), actor=ALICE)
    address = Address.objects.select_related("pool").get(pool=pool)
    with pytest.raises(DomainError, match="cannot be set"):
        ipam.set_ptr(address, "mail.example.com", actor=ALICE, now=timezone.now())
    assert isinstance(pool, Pool)


def test_the_worker_task_is_queued_after_commit_and_writes_the_name(
    knot: servers.Knot, address: Address, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ipam.set_ptr(address, "queued.example.com", actor=ALICE, now=timezone.now())
    assert len(callbacks) == 1
    address.refresh_from_db()
    assert address.ptr_state == PtrState.DONE
    assert ask(knot, "3.113.0.203.in-addr.arpa") == ["queued.example.com."]


def test_a_spanish_client_reads_the_refusal_in_spanish(
    knot: servers.Knot, address: Address, dns_server: DnsServer
) -> None:
    User.objects.filter(memberships__client=address.service.client_id).update(language="es")
    dns_server.set_secret("d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyBzZWNyZXQ=")
    dns_server.save()
    ipam.set_ptr(address, "mail.example.com", actor=ALICE, now=timezone.now())
    assert ipam.publish(address.pk, now=timezone.now()) == "error"
    address.refresh_from_db()
    assert address.ptr_error.startswith("El servidor DNS rechazó el nombre inverso: no acepta la clave de Openbill")
