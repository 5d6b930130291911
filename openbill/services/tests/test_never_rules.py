"""The design's "never" rules, each over every case it names (DESIGN.md §3–§4).

- A service stopped by the client, staff, abuse or overuse is never deleted automatically, alone
  or together with expiry; only a service stopped with ``expired`` as its only reason is.
- A stopped service resumes only when no reason remains, and each reason is lifted by its own
  owner: the client never lifts a reason that is not its own.
- Nothing updates a ledger entry, a charge, a payment event or a history row: they are
  append-only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import combinations, permutations
from typing import Any

import pytest
import time_machine

from openbill.billing.models import Expense, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.errors import NotAllowed
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.payments.models import Payment, PaymentEvent
from openbill.services import actions, sweeps
from openbill.services.automation.preview import build_preview
from openbill.services.choices import Operation, Status
from openbill.services.models import Service, ServiceEvent

from .sweep_helpers import confirm_operations

AT = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
AUTO_DELETE_DAYS = 3

# Who stopped it, as the design names them, and the field each one sets.
OWNERS = {
    "client": "suspended_by_client",
    "admin": "suspended_by_admin",
    "abuse": "suspended_for_abuse",
    "overuse": "suspended_overuse",
}
# Every non-empty combination of the owners, each alone and each together with expiry.
NEVER = [
    (set(owners), expired)
    for size in range(1, len(OWNERS) + 1)
    for owners in combinations(sorted(OWNERS), size)
    for expired in (False, True)
]


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(AT - timedelta(days=40), tick=False) as traveller:
        yield traveller


def _stopped_long_ago(alice: Any, vps_plan: Any, *, owners: set[str], expired: bool) -> Service:
    """A service suspended (and expired) well over the product type's auto-deletion days ago."""
    vps_plan.product_type.auto_delete_days = AUTO_DELETE_DAYS
    vps_plan.product_type.grace_days = 0
    vps_plan.product_type.save()
    long_ago = AT - timedelta(days=AUTO_DELETE_DAYS * 10)
    flags = {field: reason in owners for reason, field in OWNERS.items()}
    return f.service(
        alice,
        vps_plan,
        status=Status.SUSPENDED,
        expires_at=long_ago,
        suspended_at=long_ago,
        suspended_expired=expired,
        auto_renew=False,
        **flags,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("owners", "expired"), NEVER, ids=[f"{'+'.join(sorted(o))}{'+expired' if e else ''}" for o, e in NEVER]
)
def test_a_service_stopped_by_its_client_staff_abuse_or_overuse_is_never_deleted_automatically(
    alice: Any, vps_plan: Any, owners: set[str], expired: bool
) -> None:
    service = _stopped_long_ago(alice, vps_plan, owners=owners, expired=expired)

    preview = build_preview(AT).summary()
    result = sweeps.run_now(AT)
    sweeps.run_now(AT + timedelta(days=AUTO_DELETE_DAYS * 10))  # however long it stays stopped

    assert preview["deleting"] == []
    assert result["delete"].get("deleting_ids", []) == []
    service.refresh_from_db()
    assert service.status == Status.SUSPENDED
    assert service.operation != Operation.DELETION
    assert not service.events.filter(kind="automatic deletion").exists()
    assert {reason for reason, field in OWNERS.items() if getattr(service, field)} == owners


@pytest.mark.django_db
def test_a_service_stopped_for_expiry_alone_is_deleted_automatically_after_the_types_days(
    alice: Any, vps_plan: Any
) -> None:
    service = _stopped_long_ago(alice, vps_plan, owners=set(), expired=True)

    preview = build_preview(AT).summary()
    result = sweeps.run_now(AT)

    assert preview["deleting"] == [service.pk]
    assert result["delete"]["deleting_ids"] == [service.pk]
    service.refresh_from_db()
    assert service.operation == Operation.DELETION
    assert service.events.filter(kind="automatic deletion").exists()


# Each reason's owner: who sets it and who lifts it.
OWNER_OF = {
    "client": Actor("client", None, "alice@test.test"),
    "admin": Actor("staff", None, "staff@test.test"),
    "abuse": Actor.system("abuse check"),
    "expired": Actor.system("renewal"),
    "overuse": Actor.system("meter"),
}
PAIRS = list(permutations(sorted(OWNER_OF), 2))


@pytest.mark.django_db
@pytest.mark.parametrize(("lifted", "remaining"), PAIRS, ids=[f"{a}-then-{b}" for a, b in PAIRS])
def test_a_stopped_service_resumes_only_when_no_reason_remains(
    alice: Any, vps_plan: Any, lifted: str, remaining: str
) -> None:
    service = f.service(alice, vps_plan)
    for reason in (lifted, remaining):
        actions.suspend(service, reason=reason, actor=OWNER_OF[reason], now=AT)
    confirm_operations(AT)

    actions.resume(service, reason=lifted, actor=OWNER_OF[lifted], now=AT)
    service.refresh_from_db()
    assert service.status == Status.SUSPENDED
    assert service.suspend_reasons == {remaining}
    assert service.operation == ""

    actions.resume(service, reason=remaining, actor=OWNER_OF[remaining], now=AT)
    service.refresh_from_db()
    assert service.suspend_reasons == set()
    assert service.operation == Operation.RESUME


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["admin", "abuse", "expired", "overuse"])
def test_the_client_never_lifts_a_reason_that_is_not_its_own(alice: Any, vps_plan: Any, reason: str) -> None:
    service = f.service(alice, vps_plan)
    actions.suspend(service, reason=reason, actor=OWNER_OF[reason], now=AT)
    confirm_operations(AT)

    with pytest.raises(NotAllowed):
        actions.resume(service, reason=reason, actor=OWNER_OF["client"], now=AT)

    service.refresh_from_db()
    assert service.status == Status.SUSPENDED
    assert service.suspend_reasons == {reason}
    assert service.operation == ""


def _ledger_entry(alice: Any) -> LedgerEntry:
    return LedgerEntry.objects.filter(client=alice).first()  # the top-up


def _expense(alice: Any, vps_plan: Any) -> Expense:
    service = f.service(alice, vps_plan)
    return Expense.objects.create(
        service=service, client=alice, kind="period", key="k", amount=Decimal("10.00"), currency="USD", created_at=AT
    )


def _payment_event(alice: Any) -> PaymentEvent:
    payment = Payment.objects.create(client=alice, method="card", amount=Decimal(10), currency="USD", created_at=AT)
    return PaymentEvent.objects.create(payment=payment, method="card", event_id="evt", kind="failed", received_at=AT)


def _history(alice: Any, vps_plan: Any) -> ServiceEvent:
    service = f.service(alice, vps_plan)
    return ServiceEvent.objects.create(
        service=service, at=AT, actor_kind="system", kind="renewed", note=Text.verbatim("x")
    )


APPEND_ONLY = {
    "ledger entry": (lambda a, p: _ledger_entry(a), "amount", Decimal("1000.00")),
    "charge": (_expense, "amount", Decimal("0.01")),
    "payment event": (lambda a, p: _payment_event(a), "kind", "succeeded"),
    "history": (_history, "note_kind", "rewritten"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("what", sorted(APPEND_ONLY))
def test_nothing_updates_an_append_only_row(alice: Any, vps_plan: Any, what: str) -> None:
    build, field, value = APPEND_ONLY[what]
    row = build(alice, vps_plan)
    before = getattr(type(row).objects.get(pk=row.pk), field)

    setattr(row, field, value)
    with pytest.raises(RuntimeError, match="append-only"):
        row.save()

    assert getattr(type(row).objects.get(pk=row.pk), field) == before
