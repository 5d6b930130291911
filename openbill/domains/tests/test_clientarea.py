"""Domains in the client area: Check shows availability and price, ordering puts the domain in
the cart, contacts, and the domain page's NS and Whois; another client's domain is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.domains.actions import create_contact, order_domain
from openbill.domains.models import Domain, DomainContact
from openbill.orders.models import OrderLine
from openbill.services.choices import Status

from .epp_server import Registry

pytestmark = pytest.mark.django_db
ALICE = Actor("client", None, "alice@test.test")


def test_check_page_shows_availability_price_and_refusals(
    alice_http: HttpClient, test_zone: Any, epp_registry: Registry
) -> None:
    epp_registry.add_domain("taken.test")
    page = alice_http.get(reverse("clientarea:domains"), {"names": "free taken.test bad_name.test"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-domain="free.test"' in html and "Available" in html and "10.00 USD" in html
    assert 'data-domain="taken.test"' in html and "In use" in html and "8.00 USD" in html
    assert "bad_name.test" in html and "not a valid domain name" in html


def test_order_form_puts_the_domain_in_the_cart(
    alice: Any, alice_http: HttpClient, test_zone: Any, owner_contact: Any
) -> None:
    assert alice_http.get(reverse("clientarea:domain_order"), {"name": "alice.test"}).status_code == 200
    response = alice_http.post(
        reverse("clientarea:domain_order"),
        {
            "name": "alice.test",
            "action": "register",
            "years": "1",
            "owner": owner_contact.pk,
            "auto_renew": "on",
            "ns": "ns1.provider.net\nns2.provider.net",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("clientarea:cart")
    line = OrderLine.objects.for_client(alice).in_cart().get()
    assert line.service.name == "alice.test" and str(line.amount) == "10.0000"


def test_order_form_shows_the_reason_and_changes_nothing(
    alice: Any, alice_http: HttpClient, test_zone: Any, owner_contact: Any
) -> None:
    response = alice_http.post(
        reverse("clientarea:domain_order"),
        {
            "name": "alice.test",
            "action": "register",
            "years": "1",
            "owner": owner_contact.pk,
            "ns": "ns1.alice.test ns2.x.net",
        },
    )
    assert response.status_code == 400
    assert "give its IP address" in response.content.decode()
    assert not alice.services.exists()


def test_contacts_are_created_and_a_person_stays_a_person(alice: Any, alice_http: HttpClient) -> None:
    data = {
        "kind": "person",
        "name": "Alice",
        "street": "1 Main St",
        "city": "Madrid",
        "country": "ES",
        "phone": "+34.911234567",
        "email": "alice@test.test",
    }
    assert alice_http.post(reverse("clientarea:domain_contacts"), data).status_code == 302
    contact = DomainContact.objects.get(client=alice)
    bad = alice_http.post(reverse("clientarea:domain_contacts"), {**data, "phone": "911 23 45 67"})
    assert bad.status_code == 400 and "+CC.NUMBER" in bad.content.decode()
    edited = alice_http.post(
        reverse("clientarea:domain_contact", args=[contact.pk]),
        {**data, "kind": "organisation", "organisation": "Acme", "city": "Sevilla"},
    )
    assert edited.status_code == 302
    contact.refresh_from_db()
    assert contact.kind == "person" and contact.city == "Sevilla"


def test_domain_page_ns_and_whois(
    alice: Any, alice_http: HttpClient, bob_http: HttpClient, test_zone: Any, owner_contact: Any
) -> None:
    line = order_domain(
        alice,
        name="alice.test",
        action="register",
        contacts={"owner": owner_contact},
        ns="ns1.a.net ns2.a.net",
        actor=ALICE,
        now=timezone.now(),
    )
    url = reverse("clientarea:service_domain", args=[line.service.pk])
    page = alice_http.get(url)
    assert page.status_code == 200 and "ns1.a.net" in page.content.decode()
    assert (
        "Whois / NS / Verify" in alice_http.get(reverse("clientarea:service", args=[line.service.pk])).content.decode()
    )
    bad = alice_http.post(reverse("clientarea:service_domain_ns", args=[line.service.pk]), {"ns": "ns1.only.net"})
    assert bad.status_code == 400 and "2 to 13" in bad.content.decode()
    ok = alice_http.post(
        reverse("clientarea:service_domain_ns", args=[line.service.pk]), {"ns": "ns1.b.net\nns2.b.net"}
    )
    assert ok.status_code == 302
    assert Domain.objects.get().ns == ["ns1.b.net", "ns2.b.net"]
    assert alice_http.post(reverse("clientarea:service_domain_whois", args=[line.service.pk])).status_code == 302
    assert bob_http.get(url).status_code == 404
    assert (
        bob_http.post(
            reverse("clientarea:service_domain_ns", args=[line.service.pk]), {"ns": "ns1.x.net ns2.x.net"}
        ).status_code
        == 404
    )
    assert Domain.objects.get().ns == ["ns1.b.net", "ns2.b.net"]


def test_ns_cannot_change_while_the_domain_is_being_processed(
    alice: Any, alice_http: HttpClient, test_zone: Any, owner_contact: Any
) -> None:
    line = order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    type(line.service).objects.filter(pk=line.service.pk).update(status=Status.ORDERED, operation="activation")
    response = alice_http.post(
        reverse("clientarea:service_domain_ns", args=[line.service.pk]), {"ns": "ns1.b.net ns2.b.net"}
    )
    assert response.status_code == 409
    assert Domain.objects.get().ns == []


def test_create_contact_refuses_a_bad_country(alice: Any) -> None:
    from openbill.core.errors import DomainError

    with pytest.raises(DomainError) as caught:
        create_contact(
            alice,
            {"name": "A", "street": "s", "city": "c", "country": "Spain", "phone": "+34.911234567", "email": "a@b.c"},
        )
    assert caught.value.field == "country"
