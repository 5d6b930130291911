"""Money and the registry's answers: a permanent refusal of a paid registration, transfer or
renewal gives the money back at once (the task still waits for staff); a retry that goes
through charges it again; a name ordered for up to 10 years runs that long."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import LedgerEntry
from openbill.core.actors import Actor
from openbill.domains.actions import order_domain, set_price
from openbill.provisioning import staff as provisioning
from openbill.provisioning.models import ProvisioningTask
from openbill.services.choices import Status
from openbill.services.models import ServiceEvent
from openbill.services.renewal import renew_service

from .epp_server import Registry
from .test_ordering import ALICE, pay, run_due

pytestmark = pytest.mark.django_db
STAFF = Actor.system("staff")


def balance(client: Any) -> Decimal:
    client.refresh_from_db()
    return Decimal(client.balance_amount)


def ledger(client: Any) -> list[Decimal]:
    return [e.amount for e in LedgerEntry.objects.filter(client=client).order_by("pk")]


def test_a_refused_registration_returns_the_money_at_once_and_waits_for_staff(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    epp_registry.add_domain("taken.test")
    line = order_domain(
        alice, name="taken.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    assert balance(alice) == Decimal("90.00")

    assert run_due() == ["failed"]

    assert balance(alice) == Decimal("100.00")
    assert ledger(alice)[-2:] == [Decimal("-10.00"), Decimal("10.00")]
    assert run_audit() == []
    task = ProvisioningTask.objects.get(service=line.service)
    assert task in provisioning.staff_queue() and "2302" in task.last_error
    refund = ServiceEvent.objects.get(service=line.service, kind="refund")
    assert (refund.note_kind, refund.note_params["amount"]) == ("amount", {"amount": "10.00", "currency": "USD"})

    # Staff give up: the order is cancelled, nothing more is refunded.
    provisioning.staff_cancel(task, actor=STAFF, now=timezone.now())
    line.service.refresh_from_db()
    assert line.service.status == Status.DELETED and balance(alice) == Decimal("100.00")
    assert run_audit() == []


def test_a_retry_that_goes_through_charges_again(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    epp_registry.add_domain("taken.test")
    line = order_domain(
        alice, name="taken.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    run_due()
    assert balance(alice) == Decimal("100.00")

    del epp_registry.domains["taken.test"]  # the old holder let it go
    provisioning.staff_retry(ProvisioningTask.objects.get(), actor=STAFF, now=timezone.now())
    assert run_due() == ["done"]

    line.service.refresh_from_db()
    assert line.service.status == Status.ACTIVE
    assert balance(alice) == Decimal("90.00")
    assert ledger(alice)[-3:] == [Decimal("-10.00"), Decimal("10.00"), Decimal("-10.00")]
    assert run_audit() == []


def test_a_refused_renewal_returns_its_charge_and_does_not_extend_the_domain(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    line = order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    run_due()
    service = line.service
    service.refresh_from_db()
    expiry = service.expires_at
    epp_registry.domains["alice.test"].sponsor = "other-registrar"  # transferred away meanwhile

    renew_service(service.pk, actor=ALICE, now=timezone.now())
    assert balance(alice) == Decimal("78.00")
    assert run_due() == ["failed"]

    service.refresh_from_db()
    assert service.expires_at == expiry
    assert balance(alice) == Decimal("90.00")
    assert ledger(alice)[-2:] == [Decimal("-12.00"), Decimal("12.00")]
    assert ProvisioningTask.objects.get(operation="renewal") in provisioning.staff_queue()
    assert run_audit() == []


def test_a_domain_ordered_for_five_years_runs_five_years(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    set_price(test_zone, "register", 5, Decimal("45.00"))
    line = order_domain(
        alice,
        name="alice.test",
        action="register",
        years=5,
        contacts={"owner": owner_contact},
        actor=ALICE,
        now=timezone.now(),
    )
    assert line.amount == Decimal("45.00")
    pay(alice)
    assert balance(alice) == Decimal("55.00")
    assert run_due() == ["done"]

    service = line.service
    service.refresh_from_db()
    assert service.status == Status.ACTIVE and service.period == "year"  # renewed yearly after the term
    assert service.expires_at is not None and service.activated_at is not None
    assert service.expires_at.year == service.activated_at.year + 5
    assert abs(service.expires_at - epp_registry.domains["alice.test"].expires) < timedelta(days=1)
    assert run_audit() == []


def test_years_without_a_price_are_refused(alice: Any, test_zone: Any, owner_contact: Any) -> None:
    from openbill.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        order_domain(
            alice,
            name="alice.test",
            action="register",
            years=7,
            contacts={"owner": owner_contact},
            actor=ALICE,
            now=timezone.now(),
        )
    assert refused.value.field == "years" and "7 year(s) is not sold" in refused.value.message
