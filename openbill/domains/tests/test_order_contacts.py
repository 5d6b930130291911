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
