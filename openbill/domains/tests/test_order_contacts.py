"""Contacts made in the order: the client with no contact yet fills in the owner in the order
form (or ``new_owner`` in the API); a bad field is refused with its name and nothing is kept.
The period offers 1 to 10 years."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from rest_framework.test import APIClient

from openbill.domains.models import Domain, DomainContact
from openbill.orders.models import OrderLine

from .test_api import CONTACT

pytestmark = pytest.mark.django_db


def test_the_order_form_creates_the_owner(alice: Any, alice_http: HttpClient, test_zone: Any) -> None:
    page = alice_http.get(reverse("clientarea:domain_order"), {"name": "alice.test"}).content.decode()
    assert 'data-testid="new-owner"' in page and "10 years" in page
    fields = {f"new_owner_{key}": value for key, value in CONTACT.items()}

    bad = alice_http.post(
        reverse("clientarea:domain_order"),
        {"name": "alice.test", "action": "register", "years": "1", **fields, "new_owner_phone": "911 234 567"},
    )
    assert bad.status_code == 400 and "+CC.NUMBER" in bad.content.decode()
    assert not DomainContact.objects.exists() and not OrderLine.objects.exists()

    made = alice_http.post(
        reverse("clientarea:domain_order"), {"name": "alice.test", "action": "register", "years": "1", **fields}
    )
    assert made.status_code == 302, [line for line in made.content.decode().splitlines() if "feedback" in line]
    contact = DomainContact.objects.get(client=alice)
    assert (contact.name, contact.phone, contact.kind) == ("Alice", "+34.911234567", "person")
    assert Domain.objects.get(name="alice.test").owner == contact


def test_without_an_owner_or_a_new_one_the_order_is_refused(alice_http: HttpClient, test_zone: Any) -> None:
    response = alice_http.post(
        reverse("clientarea:domain_order"), {"name": "alice.test", "action": "register", "years": "1"}
    )
    assert (
        response.status_code == 400 and "Choose the owner contact, or fill in a new one." in response.content.decode()
    )


def test_the_api_takes_a_new_owner(alice: Any, alice_api: APIClient, test_zone: Any) -> None:
    order = {"name": "alice.test", "action": "register", "new_owner": CONTACT}
    bad = alice_api.post(
        "/api/v1/domains/order/",
        {**order, "new_owner": {**CONTACT, "country": "Spain"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="n-1",
    )
    assert bad.status_code == 400 and "new_owner" in str(bad.json())
    assert not DomainContact.objects.exists()

    first = alice_api.post("/api/v1/domains/order/", order, format="json", HTTP_IDEMPOTENCY_KEY="n-2")
    again = alice_api.post("/api/v1/domains/order/", order, format="json", HTTP_IDEMPOTENCY_KEY="n-2")
    assert first.status_code == 201 and again.json() == first.json()
    assert DomainContact.objects.filter(client=alice).count() == 1  # once, for the repeated request too
    assert Domain.objects.get(name="alice.test").owner.email == CONTACT["email"]


def test_admin_tech_and_billing_are_made_in_the_order_and_default_to_the_owner(
    alice: Any, alice_api: APIClient, test_zone: Any, epp_registry: Any
) -> None:
    """Issue 11: the administrative, technical and billing contacts may be made in the order
    (API ``new_admin``…); a role given nothing is the owner's. Each is created at the registry
    (EPP ``<contact:create>``) and attached at ``<domain:create>``."""
    from .test_ordering import pay, run_due

    admin = {**CONTACT, "name": "Ada Admin", "email": "ada@test.test"}
    billing = {**CONTACT, "kind": "organisation", "name": "Bill Payer", "organisation": "Payers SL"}
    bad = alice_api.post(
        "/api/v1/domains/order/",
        {"name": "alice.test", "action": "register", "new_owner": CONTACT, "new_admin": {**admin, "phone": "12"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c-0",
    )
    assert bad.status_code == 400 and "new_admin_phone" in str(bad.json())
    assert not DomainContact.objects.exists()
    made = alice_api.post(
        "/api/v1/domains/order/",
        {"name": "alice.test", "action": "register", "new_owner": CONTACT, "new_admin": admin, "new_billing": billing},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c-1",
    )
    assert made.status_code == 201, made.content
    domain = Domain.objects.get(name="alice.test")
    assert (domain.owner.name, domain.admin.name, domain.tech.name, domain.billing.name) == (
        "Alice",
        "Ada Admin",
        "Alice",
        "Bill Payer",
    )
    assert domain.billing.kind == "organisation" and DomainContact.objects.filter(client=alice).count() == 3

    pay(alice)
    assert run_due() == ["done"]
    registered = epp_registry.domains["alice.test"]
    assert registered.registrant == domain.owner.handle
    assert registered.contacts == {
        "admin": domain.admin.handle,
        "tech": domain.owner.handle,
        "billing": domain.billing.handle,
    }
    assert epp_registry.contacts[domain.billing.handle].data["org"] == "Payers SL"
    creates = [command for _client, command in epp_registry.log if command == "contact:create"]
    assert len(creates) >= 3


def test_the_order_form_makes_a_new_technical_contact(alice: Any, alice_http: HttpClient, test_zone: Any) -> None:
    page = alice_http.get(reverse("clientarea:domain_order"), {"name": "alice.test"}).content.decode()
    assert 'data-testid="new-tech"' in page and 'data-testid="new-billing"' in page
    owner = {f"new_owner_{key}": value for key, value in CONTACT.items()}
    tech = {f"new_tech_{key}": value for key, value in {**CONTACT, "name": "Tess Tech"}.items()}
    made = alice_http.post(
        reverse("clientarea:domain_order"),
        {"name": "alice.test", "action": "register", "years": "1", **owner, **tech},
    )
    assert made.status_code == 302
    domain = Domain.objects.get(name="alice.test")
    assert (domain.owner.name, domain.admin.name, domain.tech.name, domain.billing.name) == (
        "Alice",
        "Alice",
        "Tess Tech",
        "Alice",
    )
