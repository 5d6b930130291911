"""alice asks the API for bob's things by id: every such URL answers 404 and changes nothing.

The services part is generated from the OpenAPI schema, so every verb endpoint that other apps
add under /api/v1/services/{id}/… is covered as soon as it exists.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from openbill.accounts.models import ApiToken
from openbill.billing.models import LedgerEntry
from openbill.core.tests import factories as f
from openbill.services.models import Service

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def api_paths() -> dict[str, list[str]]:
    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return {path: [m for m in METHODS if m in operations] for path, operations in schema["paths"].items()}


def fingerprint(service: Service) -> tuple[Any, ...]:
    service.refresh_from_db()
    return (
        service.status,
        tuple(sorted(service.suspend_reasons)),
        service.operation,
        service.expires_at,
        service.auto_renew,
        service.name,
        service.events.count(),
        service.ledger_entries.count(),
    )


@pytest.fixture
def bobs(bob, bob_user, vps_plan, provider):
    ram = f.addon(vps_plan, "ram", prices={"month": "1"})
    service = f.service(bob, vps_plan, name="bob-vps", addons={ram: "2"}, parameters={"hostname": "bob.example"})
    other_type = f.product_type(f.provider("Other Hosting"), "vds")
    token, _ = ApiToken.issue(bob_user, "bob's")
    return {
        "service": service,
        "ledger": LedgerEntry.objects.filter(client=bob).first(),
        "token": token,
        "foreign_type": other_type,
        "foreign_tariff": f.tariff(other_type, "Foreign"),
        "hidden_tariff": f.tariff(vps_plan.product_type, "Hidden", orderable=False),
    }


def test_every_service_url_with_an_id_is_404_for_another_clients_service(alice_api, alice, bobs):
    service = bobs["service"]
    before = fingerprint(service)
    tried = []

    for path, methods in api_paths().items():
        if not path.startswith("/api/v1/services/{id}/"):
            continue
        # ``{ip}``: an address of the service (none needed: the service itself is not found).
        url = path.replace("{id}", str(service.pk)).replace("{ip}", "203.0.113.3")
        assert "{" not in url, f"{path}: fill in its other parameters in this test"
        for method in methods:
            response = getattr(alice_api, method)(url, {}, format="json")
            assert response.status_code == 404, (
                f"{method.upper()} {url}: {response.status_code} {response.content[:200]!r}"
            )
            tried.append(f"{method.upper()} {path}")

    assert "GET /api/v1/services/{id}/" in tried
    assert "GET /api/v1/services/{id}/history/" in tried
    assert fingerprint(service) == before


def test_another_clients_service_is_absent_from_lists_and_filters(alice_api, alice, bobs):
    service = bobs["service"]

    assert alice_api.get("/api/v1/services/").json()["count"] == 0
    assert alice_api.get(f"/api/v1/services/?id={service.pk}").json()["count"] == 0
    assert alice_api.get("/api/v1/dashboard/active-services/").json()["count"] == 0
    assert alice_api.get(f"/api/v1/ledger/?service={service.pk}").json()["count"] == 0


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/ledger/{id}/", "ledger"),
        ("/api/v1/tokens/{id}/", "token"),
        ("/api/v1/catalog/product-types/{id}/", "foreign_type"),
        ("/api/v1/catalog/tariffs/{id}/", "foreign_tariff"),
        ("/api/v1/catalog/tariffs/{id}/", "hidden_tariff"),
    ],
)
def test_other_urls_with_an_id_are_404_for_things_that_are_not_the_callers(alice_api, alice, bobs, path, key):
    url = path.replace("{id}", str(bobs[key].pk))
    methods = api_paths()[path]

    for method in methods:
        response = getattr(alice_api, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"


def test_another_users_token_cannot_be_revoked(alice_api, bobs):
    token = bobs["token"]

    assert alice_api.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404

    token.refresh_from_db()
    assert token.revoked_at is None


def test_bobs_ledger_is_not_in_alices(alice_api, alice, bob, bobs):
    rows = alice_api.get("/api/v1/ledger/").json()["results"]

    assert {row["id"] for row in rows} == set(LedgerEntry.objects.filter(client=alice).values_list("id", flat=True))
    assert alice_api.get("/api/v1/balance/").json()["balance_amount"] == f"{Decimal('100.00')}"


def test_matrix_covers_every_id_path_of_this_helpers_apps():
    mine = re.compile(r"^/api/v1/(services|ledger|tokens|catalog/[a-z-]+)/\{id\}/")
    covered = {
        "/api/v1/ledger/{id}/",
        "/api/v1/tokens/{id}/",
        "/api/v1/catalog/product-types/{id}/",
        "/api/v1/catalog/tariffs/{id}/",
    }

    uncovered = [
        path
        for path in api_paths()
        if mine.match(path) and not path.startswith("/api/v1/services/{id}/") and path not in covered
    ]

    assert uncovered == []
