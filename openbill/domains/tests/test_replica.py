"""Domains on the read replica: a domain's page and the contacts page, the API's domains and
contacts (lists and one) read from it; after a change, the primary."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.core.actors import Actor
from openbill.core.tests.replica_helpers import (  # noqa: F401  (replica_on: fixture)
    REPLICA_DB,
    assert_pinned_after,
    assert_reads_replica,
    replica_on,
)
from openbill.domains.actions import order_domain
from openbill.domains.models import Domain

pytestmark = [REPLICA_DB, pytest.mark.usefixtures("replica_on")]
TABLES = ("domains_domain", "domains_domaincontact")


@pytest.fixture
def domain(alice: Any, test_zone: Any, owner_contact: Any) -> Domain:
    line = order_domain(
        alice,
        name="alice.test",
        action="register",
        contacts={"owner": owner_contact},
        ns="ns1.a.net ns2.a.net",
        actor=Actor("client", None, "alice@test.test"),
        now=timezone.now(),
    )
    return Domain.objects.get(service=line.service)


def _pages(http: HttpClient, api: APIClient, domain: Domain) -> dict[str, Any]:
    service, contact = domain.service_id, domain.owner_id
    return {
        "domain": lambda: http.get(reverse("clientarea:service_domain", args=[service])),
        "contacts": lambda: http.get(reverse("clientarea:domain_contacts")),
        "api domains": lambda: api.get("/api/v1/domains/"),
        "api domain": lambda: api.get(f"/api/v1/domains/{service}/"),
        "api contacts": lambda: api.get("/api/v1/domains/contacts/"),
        "api contact": lambda: api.get(f"/api/v1/domains/contacts/{contact}/"),
    }


def test_the_domain_pages_and_the_api_read_the_replica(
    alice_http: HttpClient, alice_api: APIClient, domain: Domain
) -> None:
    for page, call in _pages(alice_http, alice_api, domain).items():
        response = assert_reads_replica(page, call, TABLES)
        if page == "domain":
            assert "ns1.a.net" in response.content.decode()
        if page == "api domains":
            assert [row["name"] for row in response.json()["results"]] == ["alice.test"]


def test_after_a_change_the_domain_pages_read_the_primary(
    alice_http: HttpClient, alice_api: APIClient, domain: Domain
) -> None:
    pages = _pages(alice_http, alice_api, domain)
    service = domain.service_id
    assert_pinned_after(
        alice_http,
        lambda: alice_http.post(
            reverse("clientarea:service_domain_ns", args=[service]), {"ns": "ns1.b.net\nns2.b.net"}
        ),
        {page: pages[page] for page in ("domain", "contacts")},
        TABLES,
    )
    assert_pinned_after(
        alice_api,
        lambda: alice_api.put(f"/api/v1/domains/{service}/ns/", {"ns": ["ns1.c.net", "ns2.c.net"]}, format="json"),
        {page: pages[page] for page in ("api domains", "api domain", "api contacts", "api contact")},
        TABLES,
    )
    assert alice_api.get(f"/api/v1/domains/{service}/").json()["ns"] == ["ns1.c.net", "ns2.c.net"]
