"""Replacing a domain's contacts: only while it is being processed (ordered) or stopped
(suspended). A stopped domain's change reaches the registry (the registrant and the role
contacts of the real EPP registry change); an active one is refused with 409 and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition
from openbill.domains import actions
from openbill.domains.models import Domain
from openbill.services import actions as services
from openbill.services.choices import Status, SuspendReason

from .epp_server import Registry
from .test_api import CONTACT
from .test_ordering import ALICE, pay, run_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_contact(alice: Any) -> Any:
    return actions.create_contact(alice, {**CONTACT, "name": "Bob Builder", "email": "bob@test.test"})


def registered(alice: Any, owner_contact: Any) -> Domain:
    actions.order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    assert run_due() == ["done"]
    return Domain.objects.select_related("service").get(name="alice.test")


def test_before_registration_the_new_contacts_are_the_ones_registered(
    alice: Any, test_zone: Any, owner_contact: Any, other_contact: Any, epp_registry: Registry
) -> None:
    line = actions.order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    domain = Domain.objects.get(service=line.service)
    actions.replace_contacts(domain, {"owner": other_contact, "tech": owner_contact}, actor=ALICE, now=timezone.now())
    pay(alice)
    assert run_due() == ["done"]
    registry_domain = epp_registry.domains["alice.test"]
    assert registry_domain.registrant == other_contact.handle
    assert registry_domain.contacts == {"tech": owner_contact.handle}


def test_an_active_domain_refuses_and_changes_nothing(
    alice: Any, alice_api: APIClient, test_zone: Any, owner_contact: Any, other_contact: Any, epp_registry: Registry
) -> None:
    domain = registered(alice, owner_contact)
    with pytest.raises(IllegalTransition):
        actions.replace_contacts(domain, {"owner": other_contact}, actor=ALICE, now=timezone.now())
    answer = alice_api.put(f"/api/v1/domains/{domain.service_id}/contacts/", {"owner": other_contact.pk}, format="json")
    assert answer.status_code == 409 and "being processed or stopped" in str(answer.json())
    domain.refresh_from_db()
    assert domain.owner == owner_contact and epp_registry.domains["alice.test"].registrant == owner_contact.handle


def test_a_stopped_domain_changes_them_at_the_registry(
    alice: Any,
    alice_http: HttpClient,
    test_zone: Any,
    owner_contact: Any,
    other_contact: Any,
    epp_registry: Registry,
) -> None:
    domain = registered(alice, owner_contact)
    services.suspend(domain.service, reason=SuspendReason.ADMIN, actor=Actor.system("staff"), now=timezone.now())
    assert run_due() == ["done"]
    page = alice_http.get(reverse("clientarea:service_domain", args=[domain.service_id])).content.decode()
    assert 'data-testid="contacts-form"' in page

    response = alice_http.post(
        reverse("clientarea:service_domain_contacts", args=[domain.service_id]),
        {"owner": other_contact.pk, "admin": owner_contact.pk, "tech": other_contact.pk},
    )
    assert response.status_code == 302
    domain.service.refresh_from_db()
    assert domain.service.label == "In progress (reconfiguration)"
    assert run_due() == ["done"]

    registry_domain = epp_registry.domains["alice.test"]
    assert registry_domain.registrant == other_contact.handle
    assert registry_domain.contacts == {"admin": owner_contact.handle, "tech": other_contact.handle}
    domain.refresh_from_db()
    assert (domain.owner, domain.admin, domain.tech) == (other_contact, owner_contact, other_contact)
    assert domain.service.status == Status.SUSPENDED


def test_another_clients_contact_cannot_be_put_on_the_domain(
    alice: Any, bob: Any, test_zone: Any, owner_contact: Any
) -> None:
    from openbill.core.errors import DomainError

    line = actions.order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    bobs = actions.create_contact(bob, CONTACT)
    with pytest.raises(DomainError) as refused:
        actions.replace_contacts(
            Domain.objects.get(service=line.service), {"owner": bobs.pk}, actor=ALICE, now=timezone.now()
        )
    assert refused.value.field == "owner"
