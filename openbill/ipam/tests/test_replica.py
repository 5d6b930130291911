"""IP addresses on the read replica: a service's IP addresses tab and the API's list read from
it; after a change, the primary. What one more address costs (the quote) and ordering it stay
on the primary."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.api.tests.conftest import alice_api  # noqa: F401  (fixture)
from openbill.clientarea.tests.conftest import alice_http  # noqa: F401  (fixture)
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.tests.replica_helpers import (  # noqa: F401  (replica_on: fixture)
    REPLICA_DB,
    assert_pinned_after,
    assert_reads_replica,
    replica_on,
)
from openbill.ipam import actions as ipam
from openbill.ipam.models import DnsServer
from openbill.services.models import Service

from .conftest import make_pool

pytestmark = [REPLICA_DB, pytest.mark.usefixtures("replica_on")]
TABLES = ("ipam_address",)
REVERSE = "113.0.203.in-addr.arpa"


@pytest.fixture
def server(alice: Any, vps_plan: Any, provider: Any) -> Service:
    """alice's server with 203.0.113.3 from a pool whose reverse names may be set (the DNS
    server is only written by the worker, which does not run here)."""
    dns = DnsServer.objects.create(provider=provider, name="Knot", host="127.0.0.1", port=53, tsig_key_name="k")
    make_pool(
        provider, "203.0.113.0/29", gateway="203.0.113.1", excluded="203.0.113.2", reverse_zone=REVERSE, dns_server=dns
    )
    service = f.service(alice, vps_plan, name="Web server")
    ipam.allocate(service, now=timezone.now(), actor=Actor("client", None, "alice@test.test"))
    return service


def _pages(http: HttpClient, api: APIClient, server: Service) -> dict[str, Any]:
    return {
        "ips": lambda: http.get(reverse("clientarea:service_ips", args=[server.pk])),
        "api ips": lambda: api.get(f"/api/v1/services/{server.pk}/ips/"),
    }


def test_the_ip_addresses_read_the_replica(alice_http: HttpClient, alice_api: APIClient, server: Service) -> None:  # noqa: F811
    pages = _pages(alice_http, alice_api, server)
    assert "203.0.113.3" in assert_reads_replica("ips", pages["ips"], TABLES).content.decode()
    response = assert_reads_replica("api ips", pages["api ips"], TABLES)
    assert [row["address"] for row in response.json()["results"]] == ["203.0.113.3"]


def test_after_a_change_the_ip_addresses_read_the_primary(
    alice_http: HttpClient,  # noqa: F811
    alice_api: APIClient,  # noqa: F811
    server: Service,
) -> None:
    pages = _pages(alice_http, alice_api, server)
    assert_pinned_after(
        alice_http,
        lambda: alice_http.post(
            reverse("clientarea:service_ip_ptr", args=[server.pk, server.ip_addresses.get().pk]),
            {"ptr_name": "web.example.test"},
        ),
        {"ips": pages["ips"]},
        TABLES,
    )
    assert sorted(server.ip_addresses.values_list("ptr_name", flat=True)) == ["web.example.test"]
    assert_pinned_after(
        alice_api,
        lambda: alice_api.patch(
            f"/api/v1/services/{server.pk}/ips/203.0.113.3/", {"ptr_name": "www.example.test"}, format="json"
        ),
        {"api ips": pages["api ips"]},
        TABLES,
    )
    assert sorted(server.ip_addresses.values_list("ptr_name", flat=True)) == ["www.example.test"]
