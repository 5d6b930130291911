"""The service's status model (DESIGN.md §3): the transition table, the labels and their
precedence, and the suspension reasons with their owners."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition, NotAllowed
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.provisioning.models import OPEN_STATES, ProvisioningTask
from openbill.services import actions
from openbill.services.choices import Label, Operation, Status, SuspendReason
from openbill.services.models import Service, ServiceEvent

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
MODULE = Actor.system("module")

ALL_STATUSES = [
    "ordered",
    "configuration_required",
    "active",
    "suspended",
    "not_available",
    "deleted",
]

# Written out by hand, not read from services.choices.TRANSITIONS: this is the specification.
LEGAL_MOVES = {
    ("ordered", "configuration_required"),
    ("ordered", "active"),
    ("ordered", "not_available"),
    ("ordered", "deleted"),
    ("configuration_required", "active"),
    ("configuration_required", "not_available"),
    ("configuration_required", "deleted"),
    ("not_available", "active"),
    ("not_available", "deleted"),
    ("active", "suspended"),
    ("active", "deleted"),
    ("suspended", "active"),
    ("suspended", "deleted"),
}

ALL_PAIRS = [(old, new) for old in ALL_STATUSES for new in ALL_STATUSES]


def test_the_specification_covers_every_status_the_code_has():
    # A status added to the code and not here would escape the two move tests below.
    assert sorted(Status.values) == sorted(ALL_STATUSES)


def _service_in(status, owner, plan):
    # A suspended service always carries a reason (the table's check constraint); a service
    # about to be confirmed suspended has had its reason recorded before.
    reason = {"suspended_by_admin": True} if status in ("active", "suspended") else {}
    return f.service(owner, plan, status=status, **reason)


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), [pair for pair in ALL_PAIRS if pair in LEGAL_MOVES])
def test_a_legal_move_is_saved_with_its_history_row(old, new, alice, vps_plan, staff):
    service = _service_in(old, alice, vps_plan)
    actor = Actor.of_user(staff)

    with transaction.atomic():
        locked = actions.lock(service)
        actions.set_status(locked, new, actor=actor, now=NOW, note=Text.verbatim("module confirmed"))

    service.refresh_from_db()
    assert service.status == new
    event = ServiceEvent.objects.get(service=service)
    assert (event.actor_kind, event.actor_user_id, event.actor_label) == ("staff", staff.pk, staff.email)
    assert event.at == NOW
    assert (event.from_status, event.to_status, event.note) == (old, new, "module confirmed")
    assert event.kind == "status"


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), [pair for pair in ALL_PAIRS if pair not in LEGAL_MOVES])
def test_an_illegal_move_raises_and_changes_nothing(old, new, alice, vps_plan):
    service = _service_in(old, alice, vps_plan)
    before = Service.objects.filter(pk=service.pk).values().get()

    with pytest.raises(IllegalTransition) as raised, transaction.atomic():
        locked = actions.lock(service)
        actions.set_status(locked, new, actor=MODULE, now=NOW)

    assert raised.value.http_status == 409
    assert Service.objects.filter(pk=service.pk).values().get() == before
    assert not ServiceEvent.objects.filter(service=service).exists()


@pytest.mark.django_db
def test_confirmed_suspension_and_deletion_stamp_their_dates(alice, vps_plan):
    service = _service_in("active", alice, vps_plan)

    with transaction.atomic():
        actions.set_status(actions.lock(service), "suspended", actor=MODULE, now=NOW)
    service.refresh_from_db()
    suspended_at = service.suspended_at
    with transaction.atomic():
        actions.set_status(actions.lock(service), "active", actor=MODULE, now=NOW)
    service.refresh_from_db()
    resumed_suspended_at = service.suspended_at
    with transaction.atomic():
        actions.set_status(actions.lock(service), "deleted", actor=MODULE, now=NOW)
    service.refresh_from_db()

    assert suspended_at == NOW
    assert resumed_suspended_at is None
    assert service.deleted_at == NOW


# --- labels ----------------------------------------------------------------------------------

# (status, reasons, running operation) → (label code, the text the client sees)
LABELS = [
    ("active", set(), "", "active", "Active"),
    ("ordered", set(), "", "ordered", "Ordered"),
    ("configuration_required", set(), "", "configuration_required", "Configuration required"),
    ("not_available", set(), "", "not_available", "Not available"),
    ("suspended", {"client"}, "", "suspended", "Suspended"),
    ("suspended", {"expired"}, "", "suspended", "Suspended"),
    ("suspended", {"overuse"}, "", "suspended", "Suspended"),
    ("suspended", {"admin"}, "", "suspended_admin", "Suspended by administrator"),
    ("suspended", {"admin", "client"}, "", "suspended_admin", "Suspended by administrator"),
    ("suspended", {"abuse"}, "", "suspended_abuse", "Suspended due to abuse"),
    ("suspended", {"abuse", "admin"}, "", "suspended_abuse", "Suspended due to abuse"),
    ("suspended", {"abuse", "admin", "client", "expired"}, "", "suspended_abuse", "Suspended due to abuse"),
    # an operation outranks everything
    ("active", set(), "reboot", "in_progress", "In progress (reboot)"),
    ("active", {"admin"}, "suspension", "in_progress", "In progress (suspension)"),
    ("suspended", set(), "resume", "in_progress", "In progress (resume)"),
    ("suspended", {"abuse"}, "deletion", "in_progress", "In progress (deletion)"),
    ("ordered", set(), "activation", "in_progress", "In progress (activation)"),
    ("not_available", set(), "activation", "in_progress", "In progress (activation)"),
    ("active", set(), "renewal", "in_progress", "In progress (renewal)"),
    ("active", set(), "transfer", "in_progress", "In progress (transfer)"),
    # a reason recorded on a running service does not change its label before the module acts
    ("active", {"client"}, "", "active", "Active"),
]

REASON_FLAGS = {
    "client": "suspended_by_client",
    "admin": "suspended_by_admin",
    "abuse": "suspended_for_abuse",
    "expired": "suspended_expired",
    "overuse": "suspended_overuse",
}


def _labelled(status, reasons, operation, owner, plan, name="svc"):
    return f.service(
        owner, plan, status=status, operation=operation, name=name, **{REASON_FLAGS[r]: True for r in reasons}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "reasons", "operation", "code", "text"), LABELS)
def test_the_label_follows_the_precedence(status, reasons, operation, code, text, alice, vps_plan):
    service = _labelled(status, reasons, operation, alice, vps_plan)

    assert service.label_code == code
    assert service.label == text


@pytest.mark.django_db
def test_filtering_by_label_agrees_with_each_services_label(alice, vps_plan):
    services = [
        _labelled(status, reasons, operation, alice, vps_plan, name=f"row{i}")
        for i, (status, reasons, operation, _code, _text) in enumerate(LABELS)
    ]

    for label in Label.values:
        found = set(Service.objects.with_label(label).values_list("pk", flat=True))
        expected = {s.pk for s in services if s.label_code == label}
        assert found == expected, label


# --- suspension reasons ------------------------------------------------------------------------


@pytest.fixture
def alice_actor(alice_user):
    return Actor.of_user(alice_user)


@pytest.fixture
def staff_actor(staff):
    return Actor.of_user(staff)


def _open_tasks(service):
    return list(
        ProvisioningTask.objects.filter(service=service, state__in=OPEN_STATES).values_list("operation", flat=True)
    )


@pytest.mark.django_db
def test_a_suspension_changes_the_status_only_when_the_module_confirms(alice, vps_plan, alice_actor):
    service = f.service(alice, vps_plan)

    actions.suspend(service, reason=SuspendReason.CLIENT, actor=alice_actor, now=NOW)
    service.refresh_from_db()
    asked = (service.status, service.operation, set(service.suspend_reasons), _open_tasks(service))
    actions.complete_operation(service.pk, Operation.SUSPENSION, actor=MODULE, now=NOW)
    service.refresh_from_db()

    assert asked == ("active", "suspension", {"client"}, ["suspension"])
    assert (service.status, service.operation, service.label) == ("suspended", "", "Suspended")
    confirmed = service.events.get(kind="status")
    assert (confirmed.from_status, confirmed.to_status, confirmed.actor_label) == ("active", "suspended", "module")


@pytest.mark.django_db
def test_a_client_lifts_its_own_suspension_and_the_service_resumes_on_confirmation(alice, vps_plan, alice_actor):
    service = f.service(alice, vps_plan, status="suspended", suspended_by_client=True)

    actions.resume(service, reason=SuspendReason.CLIENT, actor=alice_actor, now=NOW)
    service.refresh_from_db()
    asked = (service.status, service.operation, set(service.suspend_reasons))
    actions.complete_operation(service.pk, Operation.RESUME, actor=MODULE, now=NOW)
    service.refresh_from_db()

    assert asked == ("suspended", "resume", set())
    assert (service.status, service.operation) == ("active", "")


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["admin", "abuse", "expired", "overuse"])
def test_a_client_cannot_lift_a_reason_it_does_not_own(reason, alice, vps_plan, alice_actor):
    service = f.service(alice, vps_plan, status="suspended", **{REASON_FLAGS[reason]: True})

    with pytest.raises(NotAllowed):
        actions.resume(service, reason=reason, actor=alice_actor, now=NOW)

    service.refresh_from_db()
    assert set(service.suspend_reasons) == {reason}
    assert service.operation == ""
    assert not service.events.exists()


@pytest.mark.django_db
def test_a_service_resumes_only_when_no_reason_remains(alice, vps_plan, alice_actor, staff_actor):
    service = f.service(alice, vps_plan, status="suspended", suspended_by_client=True, suspended_by_admin=True)

    actions.resume(service, reason=SuspendReason.CLIENT, actor=alice_actor, now=NOW)
    service.refresh_from_db()
    after_client = (service.status, service.operation, set(service.suspend_reasons), service.label)
    actions.resume(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)
    service.refresh_from_db()

    assert after_client == ("suspended", "", {"admin"}, "Suspended by administrator")
    assert (service.status, service.operation, set(service.suspend_reasons)) == ("suspended", "resume", set())


@pytest.mark.django_db
def test_a_client_cannot_lift_a_suspension_that_is_not_there(alice, vps_plan, alice_actor):
    service = f.service(alice, vps_plan)

    with pytest.raises(IllegalTransition):
        actions.resume(service, reason=SuspendReason.CLIENT, actor=alice_actor, now=NOW)


@pytest.mark.django_db
def test_a_client_cannot_suspend_where_the_product_type_forbids_it(alice, vps_plan, alice_actor):
    vps_plan.product_type.client_can_suspend = False
    vps_plan.product_type.save()
    service = f.service(alice, vps_plan)

    with pytest.raises(NotAllowed):
        actions.suspend(service, reason=SuspendReason.CLIENT, actor=alice_actor, now=NOW)

    service.refresh_from_db()
    assert service.suspend_reasons == frozenset() and service.operation == ""


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["ordered", "configuration_required", "not_available"])
def test_a_client_can_suspend_only_an_active_service(status, alice, vps_plan, alice_actor):
    service = f.service(alice, vps_plan, status=status)

    with pytest.raises(IllegalTransition):
        actions.suspend(service, reason=SuspendReason.CLIENT, actor=alice_actor, now=NOW)


@pytest.mark.django_db
def test_nothing_suspends_a_deleted_service(alice, vps_plan, staff_actor):
    service = f.service(alice, vps_plan, status="deleted")

    with pytest.raises(IllegalTransition):
        actions.suspend(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)


@pytest.mark.django_db
def test_asking_twice_for_the_same_reason_records_it_once(alice, vps_plan, staff_actor):
    service = f.service(alice, vps_plan)

    actions.suspend(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)

    assert service.events.filter(kind="suspension requested").count() == 1
    assert _open_tasks(service) == ["suspension"]


@pytest.mark.django_db
def test_a_second_reason_during_a_running_suspension_opens_nothing_more(alice, vps_plan, staff_actor):
    service = f.service(alice, vps_plan)

    actions.suspend(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)
    actions.suspend(service, reason=SuspendReason.ABUSE, actor=staff_actor, now=NOW)
    service.refresh_from_db()

    assert set(service.suspend_reasons) == {"admin", "abuse"}
    assert _open_tasks(service) == ["suspension"]


@pytest.mark.django_db
def test_a_reason_recorded_during_a_reboot_suspends_once_the_reboot_ends(alice, vps_plan, staff_actor):
    service = f.service(alice, vps_plan)
    actions.reboot(service, actor=staff_actor, now=NOW)

    actions.suspend(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)
    service.refresh_from_db()
    during = (service.operation, set(service.suspend_reasons), service.label)
    ProvisioningTask.objects.filter(service=service, state__in=OPEN_STATES).update(state="done")
    actions.complete_operation(service.pk, Operation.REBOOT, actor=MODULE, now=NOW)
    service.refresh_from_db()

    assert during == ("reboot", {"admin"}, "In progress (reboot)")
    assert (service.status, service.operation) == ("active", "suspension")


@pytest.mark.django_db
def test_lifting_the_reason_before_the_module_confirms_resumes_right_after(alice, vps_plan, staff_actor):
    # Staff suspend and change their mind while the remote suspension runs: the module still
    # confirms the suspension, and the resume follows at once (no reason remains).
    service = f.service(alice, vps_plan)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)
    actions.resume(service, reason=SuspendReason.ADMIN, actor=staff_actor, now=NOW)
    ProvisioningTask.objects.filter(service=service, state__in=OPEN_STATES).update(state="done")

    actions.complete_operation(service.pk, Operation.SUSPENSION, actor=MODULE, now=NOW)

    service.refresh_from_db()
    assert (service.status, service.operation, set(service.suspend_reasons)) == ("suspended", "resume", set())


@pytest.mark.django_db
def test_confirming_an_operation_that_is_not_running_is_refused(alice, vps_plan):
    service = f.service(alice, vps_plan)

    with pytest.raises(IllegalTransition):
        actions.complete_operation(service.pk, Operation.SUSPENSION, actor=MODULE, now=NOW)

    service.refresh_from_db()
    assert service.status == "active"


@pytest.mark.django_db
def test_only_one_operation_runs_at_a_time(alice, vps_plan, staff_actor):
    service = f.service(alice, vps_plan)
    actions.reboot(service, actor=staff_actor, now=NOW)

    with pytest.raises(IllegalTransition):
        actions.reboot(service, actor=staff_actor, now=NOW)

    assert _open_tasks(service) == ["reboot"]


# --- the three facts stay consistent, whatever happens in whatever order -------------------------

STEP = st.one_of(
    st.tuples(st.just("suspend"), st.sampled_from(sorted(REASON_FLAGS)), st.sampled_from(["client", "staff"])),
    st.tuples(st.just("resume"), st.sampled_from(sorted(REASON_FLAGS)), st.sampled_from(["client", "staff"])),
    st.tuples(st.just("confirm"), st.just(""), st.just("")),
    st.tuples(st.just("reboot"), st.just(""), st.just("")),
)


def _facts(service):
    service.refresh_from_db()
    return (service.status, service.operation, service.suspend_reasons)


def _assert_consistent(service):
    status, operation, reasons = _facts(service)
    open_tasks = _open_tasks(service)
    # DESIGN §3: the running operation is the one open task.
    assert open_tasks == ([operation] if operation else [])
    if not operation:
        # Idle, the confirmed status agrees with the reasons: suspended exactly when one remains.
        assert (status == Status.SUSPENDED) == bool(reasons), (status, reasons)
    if status == Status.SUSPENDED:
        assert reasons or operation


@pytest.mark.django_db
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, max_size=12))
def test_status_reasons_and_operation_never_contradict_each_other(steps, alice, vps_plan, alice_user, staff):
    actors = {"client": Actor.of_user(alice_user), "staff": Actor.of_user(staff)}
    service = f.service(alice, vps_plan)

    for verb, reason, who in steps:
        before = _facts(service)
        try:
            if verb == "suspend":
                actions.suspend(service, reason=reason, actor=actors[who], now=NOW)
            elif verb == "resume":
                actions.resume(service, reason=reason, actor=actors[who], now=NOW)
            elif verb == "reboot":
                actions.reboot(service, actor=actors["staff"], now=NOW)
            elif service.operation:
                ProvisioningTask.objects.filter(service=service, state__in=OPEN_STATES).update(state="done")
                actions.complete_operation(service.pk, service.operation, actor=MODULE, now=NOW)
        except (IllegalTransition, NotAllowed):
            assert _facts(service) == before  # a refusal changes nothing
        _assert_consistent(service)
