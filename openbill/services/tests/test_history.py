"""A service's History: every change writes who, when, from, to and why; rows are never edited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text, format_moment
from openbill.provisioning.models import OPEN_STATES, ProvisioningTask
from openbill.services import actions, events
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import ServiceEvent
from openbill.services.renewal import renew_service

T0 = datetime(2025, 7, 1, 9, tzinfo=UTC)
MODULE = Actor.system("module")


def _module_confirms(service, operation, now):
    """What the provisioning worker does when the module reports success."""
    ProvisioningTask.objects.filter(service=service, state__in=OPEN_STATES).update(state="done")
    return actions.complete_operation(service.pk, operation, actor=MODULE, now=now)


def _rows(service):
    rows = ServiceEvent.objects.filter(service=service).order_by("at", "id")
    return [(e.kind, e.from_status, e.to_status, e.actor_label, e.note) for e in rows]


@pytest.mark.django_db
def test_a_services_life_is_written_to_its_history(alice, alice_user, vps_plan, staff):
    client_actor, staff_actor = Actor.of_user(alice_user), Actor.of_user(staff)
    service = f.service(alice, vps_plan, status=Status.ORDERED)

    actions.request_activation(service, actor=client_actor, now=T0)
    _module_confirms(service, Operation.ACTIVATION, T0 + timedelta(minutes=1))
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=T0 + timedelta(hours=1))
    _module_confirms(service, Operation.SUSPENSION, T0 + timedelta(hours=1, minutes=1))
    actions.resume(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=T0 + timedelta(hours=2))
    _module_confirms(service, Operation.RESUME, T0 + timedelta(hours=2, minutes=1))

    assert _rows(service) == [
        ("operation started", "", "", alice_user.email, "activation"),
        ("status", "ordered", "active", "module", "activation"),
        ("suspension requested", "", "", staff.email, "Suspended by administrator"),
        ("operation started", "", "", staff.email, "suspension"),
        ("status", "active", "suspended", "module", "suspension"),
        ("suspension lifted", "", "", staff.email, "Suspended by administrator"),
        ("operation started", "", "", staff.email, "resume"),
        ("status", "suspended", "active", "module", "resume"),
    ]
    confirmed = service.events.filter(kind="status").order_by("at")
    assert [e.at for e in confirmed] == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(hours=1, minutes=1),
        T0 + timedelta(hours=2, minutes=1),
    ]
    requested = service.events.get(kind="suspension requested")
    assert (requested.actor_kind, requested.actor_user_id) == ("staff", staff.pk)


@pytest.mark.django_db
def test_history_lists_the_newest_change_first(alice, vps_plan):
    service = f.service(alice, vps_plan)
    for minutes, kind in ((0, "first"), (5, "third"), (2, "second")):
        events.record(service, kind, actor=MODULE, now=T0 + timedelta(minutes=minutes))

    assert [e.kind for e in service.events.all()] == ["third", "second", "first"]


@pytest.mark.django_db
def test_a_history_row_cannot_be_edited(alice, vps_plan):
    service = f.service(alice, vps_plan)
    event = events.record(service, "renewed", actor=MODULE, now=T0, note=Text.verbatim("2025-07-01 → 2025-08-01"))

    event.note = Text.verbatim("forged")
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()

    assert ServiceEvent.objects.get(pk=event.pk).note == "2025-07-01 → 2025-08-01"


@pytest.mark.django_db
def test_a_refused_change_leaves_no_history(alice, alice_user, vps_plan):
    service = f.service(alice, vps_plan, status=Status.SUSPENDED, suspended_by_admin=True)

    with pytest.raises(Exception, match="Only the provider"):
        actions.resume(service, reason=SuspendReason.ADMIN, actor=Actor.of_user(alice_user), now=T0)

    assert not service.events.exists()


@pytest.mark.django_db
def test_a_renewal_is_in_the_history_with_its_period_and_amount(alice, alice_user, vps_plan):
    expires = T0 + timedelta(days=3)
    service = f.service(alice, vps_plan, expires_at=expires)

    renew_service(service, actor=Actor.of_user(alice_user), now=T0)

    row = service.events.get(kind="renewed")
    assert row.actor_label == alice_user.email
    assert row.at == T0
    end = (T0 + timedelta(days=3)).replace(month=8)
    assert (row.note_kind, row.note_params) == (
        "renewed",
        {"start": expires.isoformat(), "end": end.isoformat(), "amount": {"amount": "10.00", "currency": "USD"}},
    )
    with translation.override("en"):
        assert row.note == f"{format_moment(expires, 'en')} → {format_moment(end, 'en')} (10.00 USD)"
    assert Decimal(alice.ledger.get(kind="charge").amount) == Decimal("-10.00")
