"""Domains in the API: Check, contacts, ordering with an Idempotency-Key, a domain's NS and
Whois; another client's domain or contact is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from openbill.domains.models import Domain
from openbill.orders.models import OrderLine

from .epp_server import Registry

pytestmark = pytest.mark.django_db
CONTACT = {
    "name": "Alice",
    "street": "1 Main St",
    "city": "Madrid",
    "country": "ES",
    "phone": "+34.911234567",
    "email": "a@test.test",
}


def test_check(alice_api: APIClient, test_zone: Any, epp_registry: Registry) -> None:
    epp_registry.add_domain("taken.test")
    response = alice_api.post("/api/v1/domains/check/", {"names": "free.test taken.test x.org"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [(r["name"], r["available"], r["register_price"]) for r in body["results"]] == [
        ("free.test", True, "10.00"),
        ("taken.test", False, "10.00"),
    ]
    assert body["refused"][0]["name"] == "x.org"


def test_contacts_and_ordering_with_an_idempotency_key(
    alice: Any, alice_api: APIClient, bob_api: APIClient, test_zone: Any
) -> None:
    created = alice_api.post("/api/v1/domains/contacts/", CONTACT, format="json")
    assert created.status_code == 201
    contact = created.json()["id"]
    refused = alice_api.patch(
        f"/api/v1/domains/contacts/{contact}/", {"kind": "organisation", "organisation": "Acme"}, format="json"
    )
    assert refused.status_code == 400 and "cannot become an organisation" in str(refused.json())
    assert bob_api.get(f"/api/v1/domains/contacts/{contact}/").status_code == 404
    order = {"name": "alice.test", "action": "register", "owner": contact, "ns": ["ns1.a.net", "ns2.a.net"]}
    first = alice_api.post("/api/v1/domains/order/", order, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = alice_api.post("/api/v1/domains/order/", order, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.json() == first.json()
    assert first.json()["amount"] == "10.00" and first.json()["service_name"] == "alice.test"
    assert OrderLine.objects.for_client(alice).count() == 1
    bad = alice_api.post(
        "/api/v1/domains/order/", {**order, "name": "bad_name.test"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert bad.status_code == 400 and "not a valid domain name" in str(bad.json())
    assert (
        bob_api.post(
            "/api/v1/domains/order/", {**order, "name": "bob.test"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
        ).status_code
        == 400
    )


def test_domain_ns_and_whois(
    alice: Any, alice_api: APIClient, bob_api: APIClient, test_zone: Any, owner_contact: Any
) -> None:
    order = {"name": "alice.test", "action": "register", "owner": owner_contact.pk}
    service = alice_api.post("/api/v1/domains/order/", order, format="json", HTTP_IDEMPOTENCY_KEY="k-1").json()[
        "service"
    ]
    assert alice_api.get(f"/api/v1/domains/{service}/").json()["ns"] == []
    bad = alice_api.put(f"/api/v1/domains/{service}/ns/", {"ns": ["ns1.alice.test", "ns2.x.net"]}, format="json")
    assert bad.status_code == 400 and "IP address" in str(bad.json())
    ok = alice_api.put(
        f"/api/v1/domains/{service}/ns/", {"ns": ["ns1.alice.test/192.0.2.1", "ns2.x.net"]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["ns"] == ["ns1.alice.test/192.0.2.1", "ns2.x.net"]
    assert alice_api.post(f"/api/v1/domains/{service}/whois/").status_code == 202
    assert [d["name"] for d in alice_api.get("/api/v1/domains/").json()["results"]] == ["alice.test"]
    assert bob_api.get(f"/api/v1/domains/{service}/").status_code == 404
    assert (
        bob_api.put(f"/api/v1/domains/{service}/ns/", {"ns": ["ns1.b.net", "ns2.b.net"]}, format="json").status_code
        == 404
    )
    assert bob_api.get("/api/v1/domains/").json()["results"] == []
    assert Domain.objects.get().ns == ["ns1.alice.test/192.0.2.1", "ns2.x.net"]
