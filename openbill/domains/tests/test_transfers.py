"""Transfers the losing registrar answers later: the suite's EPP registry keeps the transfer
*pending* (1001), then approves or rejects it and leaves a message in Openbill's poll queue.
The transfers sweep reads and acknowledges the queue, queries the transfer, and finishes it:
approved, the domain is ours; rejected, the money goes back and the service is deleted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.domains import actions
from openbill.domains.models import Domain, TransferState
from openbill.provisioning.actions import service_spec
from openbill.provisioning.modules.epp import EppModule
from openbill.services.choices import Status

from .epp_server import Registry
from .test_ordering import ALICE, pay, run_due
from .test_registry_money import balance, ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_transfer(alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry) -> Domain:
    epp_registry.transfer_approval = "pending"
    epp_registry.add_domain("moving.test", auth_info="Tr4nsfer-Me")
    actions.order_domain(
        alice,
        name="moving.test",
        action="transfer",
        auth_code="Tr4nsfer-Me",
        contacts={"owner": owner_contact},
        actor=ALICE,
        now=timezone.now(),
    )
    pay(alice)
    assert run_due() == ["done"]
    return Domain.objects.select_related("service").get(name="moving.test")


def test_an_approved_transfer_is_followed_to_completion(
    alice: Any, alice_http: Any, alice_api: Any, pending_transfer: Domain, epp_registry: Registry
) -> None:
    domain = pending_transfer
    assert domain.transfer_status == TransferState.PENDING
    assert epp_registry.domains["moving.test"].sponsor == "other-registrar"
    # Asking again while it is pending (a retried task) finds it pending, not an error.
    assert EppModule().transfer(service_spec(domain.service))["transfer_status"] == "pending"
    assert actions.follow_transfers(now=timezone.now()) == {"moving.test": "pending"}
    page = alice_http.get(f"/services/{domain.service_id}/domain/").content.decode()
    assert 'data-testid="transfer"' in page and "Transfer pending at the registry" in page
    assert "In progress (transfer)" in page
    body = alice_api.get(f"/api/v1/domains/{domain.service_id}/").json()
    assert (body["transfer_status"], body["status"]) == ("pending", "In progress (transfer)")
    services_page = alice_http.get("/services/").content.decode()
    assert "In progress (transfer)" in services_page
    domain.service.refresh_from_db()
    assert domain.service.operation == "transfer" and domain.service.label == "In progress (transfer)"

    epp_registry.approve_transfer("moving.test")
    assert epp_registry.messages["openbill"]  # the registry told Openbill in its poll queue

    assert actions.follow_transfers(now=timezone.now()) == {"moving.test": "done"}
    assert epp_registry.messages["openbill"] == []  # read and acknowledged
    domain.refresh_from_db()
    domain.service.refresh_from_db()
    assert domain.transfer_status == TransferState.DONE
    assert domain.service.remote_id == epp_registry.domains["moving.test"].roid
    # Active now, to the expiry the registry records (the old one plus the transfer's year).
    assert domain.service.operation == "" and domain.service.label == "Active"
    assert domain.service.expires_at == epp_registry.domains["moving.test"].expires
    assert epp_registry.domains["moving.test"].sponsor == "openbill"
    assert balance(alice) == Decimal("92.00")
    assert actions.follow_transfers(now=timezone.now()) == {}  # nothing pending any more


def test_a_rejected_transfer_returns_the_money_and_ends_the_service(
    alice: Any, pending_transfer: Domain, epp_registry: Registry
) -> None:
    epp_registry.reject_transfer("moving.test")

    assert actions.follow_transfers(now=timezone.now()) == {"moving.test": "rejected"}

    assert balance(alice) == Decimal("100.00")
    assert ledger(alice)[-2:] == [Decimal("-8.00"), Decimal("8.00")]
    assert run_due() == ["done"]  # the deletion: nothing at the registry is ours
    pending_transfer.service.refresh_from_db()
    assert pending_transfer.service.status == Status.DELETED
    kinds = list(pending_transfer.service.events.order_by("at", "id").values_list("kind", flat=True))
    assert "operation cancelled" in kinds  # the transfer, closed with the registry's refusal
    assert epp_registry.domains["moving.test"].sponsor == "other-registrar"
    assert balance(alice) == Decimal("100.00") and run_audit() == []


def test_the_poll_queue_is_read_and_acknowledged_message_by_message(registrar: Any, epp_registry: Registry) -> None:
    epp_registry.transfer_approval = "pending"
    for name in ("one.test", "two.test"):
        epp_registry.add_domain(name).transfer_to = "openbill"
    epp_registry.approve_transfer("one.test")
    epp_registry.reject_transfer("two.test")

    messages = EppModule().poll(dict(registrar.config), registrar.get_secrets())

    assert [(m["domain"], m["status"], m["text"]) for m in messages] == [
        ("one.test", "clientApproved", "Transfer approved."),
        ("two.test", "clientRejected", "Transfer rejected."),
    ]
    assert EppModule().poll(dict(registrar.config), registrar.get_secrets()) == []
