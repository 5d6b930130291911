"""After expiry (issue 11, RFC 3915), on a frozen clock: a zone gives 10 days' renewal grace
and 20 days' redemption and sells a restore at 50.00. In grace the domain is renewed at the
renewal price and runs to the registry's new expiry (the registry's, not the one computed
here); in redemption (deleted at the registry) it is only restored: restore price + a year,
restored and renewed at the suite's EPP registry; a refused restore gives both back; when
redemption ends the service is deleted. Each step checks the ledger and the balance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition
from openbill.domains import actions
from openbill.domains.models import Domain, Phase
from openbill.provisioning import staff as provisioning
from openbill.provisioning.models import ProvisioningTask
from openbill.services import actions as service_actions
from openbill.services.choices import Status, SuspendReason
from openbill.services.models import Service, ServiceEvent
from openbill.services.renewal import renew_service

from .epp_server import Registry
from .test_ordering import ALICE, pay, run_due
from .test_registry_money import balance, ledger

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SYSTEM = Actor.system("expire")


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def registered(clock: Any, alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry) -> Domain:
    test_zone.grace_days, test_zone.redemption_days, test_zone.restore_price = 10, 20, Decimal("50.00")
    test_zone.save()
    test_zone.tariff.product_type.grace_days = 0
    test_zone.tariff.product_type.save()
    epp_registry.redemption_on_delete = True
    actions.order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    assert run_due() == ["done"]
    assert balance(alice) == Decimal("90.00")
    return Domain.objects.select_related("service", "zone").get(name="alice.test")


def login(http: Any, user: Any) -> Any:
    """A session made at the moment the clock shows (one from a year earlier has expired)."""
    http.force_login(user)
    return http


def expire(service: Service) -> None:
    """What the services' expire sweep does to an unrenewed service: stop it."""
    service_actions.suspend(service, reason=SuspendReason.EXPIRED, actor=SYSTEM, now=timezone.now())
    assert run_due() == ["done"]


def registry_expiry(registry: Registry) -> dt.datetime:
    return registry.domains["alice.test"].expires


def test_in_grace_a_renewal_runs_to_the_registrys_new_expiry(
    clock: Any, alice: Any, alice_user: Any, alice_http: Any, alice_api: Any, registered: Domain, epp_registry: Registry
) -> None:
    service = registered.service
    service.refresh_from_db()
    expiry = service.expires_at
    assert expiry == registry_expiry(epp_registry) == dt.datetime(2027, 3, 2, 10, 0, tzinfo=dt.UTC)

    clock.move_to(expiry + timedelta(days=3))
    expire(service)
    assert actions.follow_expiries(now=timezone.now()) == {"alice.test": "grace"}
    registered.refresh_from_db()
    assert registered.phase == Phase.GRACE and registered.grace_until == expiry + timedelta(days=10)
    page = login(alice_http, alice_user).get(f"/services/{service.pk}/domain/").content.decode()
    assert "Expired: renewable at the renewal price until" in page and 'data-testid="restore"' not in page
    body = alice_api.get(f"/api/v1/domains/{service.pk}/").json()
    assert (body["phase"], body["grace_until"][:10]) == ("grace", "2027-03-12")
    assert actions.follow_expiries(now=timezone.now()) == {}  # nothing more until grace ends

    renewal = renew_service(service.pk, actor=ALICE, now=timezone.now())
    # Lapsed: here the year would run from now (5 March 2028)...
    assert renewal.period_end == dt.datetime(2028, 3, 5, 10, 0, tzinfo=dt.UTC)
    assert balance(alice) == Decimal("78.00")
    assert run_due() == ["done"]  # the resume the payment opened
    assert run_due() == ["done"]  # then the renewal at the registry
    service.refresh_from_db()
    registered.refresh_from_db()
    # ...but the registry renewed from the old expiry: that is the term the client has.
    assert registry_expiry(epp_registry) == dt.datetime(2028, 3, 2, 10, 0, tzinfo=dt.UTC)
    assert service.expires_at == registry_expiry(epp_registry)
    assert service.status == Status.ACTIVE and service.operation == ""
    assert registered.phase == Phase.NONE and registered.grace_until is None
    assert ledger(alice)[-2:] == [Decimal("-10.00"), Decimal("-12.00")]
    assert renewal.expense.__class__.objects.get(pk=renewal.expense.pk).period_end == service.expires_at
    assert balance(alice) == Decimal("78.00") and run_audit() == []


def test_in_redemption_the_domain_is_restored_at_restore_price_plus_a_year(
    clock: Any, alice: Any, alice_user: Any, alice_http: Any, alice_api: Any, registered: Domain, epp_registry: Registry
) -> None:
    service = registered.service
    service.refresh_from_db()
    expiry = service.expires_at
    assert expiry is not None
    clock.move_to(expiry + timedelta(days=11))
    expire(service)

    assert actions.follow_expiries(now=timezone.now()) == {"alice.test": "redemption"}
    assert epp_registry.domains["alice.test"].rgp == "redemptionPeriod"  # deleted: held in redemption
    registered.refresh_from_db()
    assert registered.phase == Phase.REDEMPTION and registered.redemption_until == expiry + timedelta(days=30)
    assert [e.note_kind for e in ServiceEvent.objects.filter(service=service, kind="domain phase")] == [
        "domain_redemption",
        "domain_grace",
    ]
    page = login(alice_http, alice_user).get(f"/services/{service.pk}/domain/").content.decode()
    assert "Deleted at the registry: restorable until Apr 1, 2027." in page and "Restore for 62.00 USD" in page

    # A plain renewal is refused: nothing is charged.
    with pytest.raises(IllegalTransition, match="in redemption"):
        renew_service(service.pk, actor=ALICE, now=timezone.now())
    assert balance(alice) == Decimal("90.00")

    restored = alice_api.post(f"/api/v1/domains/{service.pk}/restore/")
    assert restored.status_code == 202, restored.content
    assert balance(alice) == Decimal("28.00")
    assert ledger(alice)[-3:] == [Decimal("-10.00"), Decimal("-50.00"), Decimal("-12.00")]
    again = alice_api.post(f"/api/v1/domains/{service.pk}/restore/")
    assert again.status_code == 409 and balance(alice) == Decimal("28.00")

    assert run_due() == ["done"]  # resume
    assert run_due() == ["done"]  # restore (request + report), then renew
    assert epp_registry.domains["alice.test"].rgp == ""
    assert ("openbill", "domain:update") in epp_registry.log
    service.refresh_from_db()
    registered.refresh_from_db()
    assert registry_expiry(epp_registry) == dt.datetime(2028, 3, 2, 10, 0, tzinfo=dt.UTC)
    assert service.expires_at == registry_expiry(epp_registry)
    assert service.status == Status.ACTIVE and "restore" not in service.parameters
    assert registered.phase == Phase.NONE
    assert alice_api.get(f"/api/v1/domains/{service.pk}/").json()["phase"] == ""
    assert balance(alice) == Decimal("28.00") and run_audit() == []


def test_a_restore_the_registry_refuses_gives_both_charges_back(
    clock: Any, alice: Any, alice_user: Any, alice_http: Any, registered: Domain, epp_registry: Registry
) -> None:
    service = registered.service
    service.refresh_from_db()
    assert service.expires_at is not None
    clock.move_to(service.expires_at + timedelta(days=12))
    expire(service)
    actions.follow_expiries(now=timezone.now())

    response = login(alice_http, alice_user).post(f"/services/{service.pk}/domain/restore/")
    assert response.status_code == 302
    assert balance(alice) == Decimal("28.00")
    epp_registry.domains["alice.test"].sponsor = "other-registrar"  # the registry says no for good
    assert run_due() == ["done"]
    assert run_due() == ["failed"]

    assert balance(alice) == Decimal("90.00")
    assert ledger(alice)[-5:] == [
        Decimal("-10.00"),
        Decimal("-50.00"),
        Decimal("-12.00"),
        Decimal("12.00"),
        Decimal("50.00"),
    ]
    assert ProvisioningTask.objects.get(operation="renewal") in provisioning.staff_queue()
    registered.refresh_from_db()
    assert registered.phase == Phase.REDEMPTION
    assert run_audit() == []


def test_when_redemption_ends_the_domain_is_deleted(
    clock: Any, alice: Any, registered: Domain, epp_registry: Registry
) -> None:
    service = registered.service
    service.refresh_from_db()
    assert service.expires_at is not None
    clock.move_to(service.expires_at + timedelta(days=11))
    expire(service)
    actions.follow_expiries(now=timezone.now())

    clock.move_to(service.expires_at + timedelta(days=29))
    assert actions.follow_expiries(now=timezone.now()) == {}
    clock.move_to(service.expires_at + timedelta(days=30, hours=1))
    assert actions.follow_expiries(now=timezone.now()) == {"alice.test": "deleted"}
    assert run_due() == ["done"]

    service.refresh_from_db()
    assert service.status == Status.DELETED
    assert "alice.test" not in epp_registry.domains  # purged
    assert balance(alice) == Decimal("90.00") and ledger(alice)[-1] == Decimal("-10.00")
    assert run_audit() == []


def test_a_taxed_clients_restore_takes_the_restore_price_with_its_tax(
    clock: Any, alice: Any, registered: Domain, epp_registry: Registry
) -> None:
    """Restore is a sale like any other: with a Spanish seller (net prices, IVA 21 %) the restore
    price 50.00 is charged as 60.50 and the year's renewal 12.00 as 14.52."""
    from openbill.invoicing.tests.helpers import profile, spanish_seller

    service = registered.service
    service.refresh_from_db()
    assert service.expires_at is not None
    clock.move_to(service.expires_at + timedelta(days=11))
    expire(service)
    assert actions.follow_expiries(now=timezone.now()) == {"alice.test": "redemption"}
    currency = alice.provider.currency
    spanish_seller(alice.provider)  # (it also sets the provider's currency to EUR: set back)
    alice.provider.currency = currency
    alice.provider.save(update_fields=["currency"])
    profile(alice, "ES")
    registered.refresh_from_db()

    assert actions.restore_domain(registered, actor=ALICE, now=timezone.now()) == Decimal("75.02")
    assert ledger(alice)[-2:] == [Decimal("-60.50"), Decimal("-14.52")]
    assert balance(alice) == Decimal("14.98") and run_audit() == []
