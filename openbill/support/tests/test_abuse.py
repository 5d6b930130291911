"""Abuse: reports add to the client's score; over the provider's limit every service is
suspended through its module and ordering is blocked; resolving resumes; a deadline's action
runs once however often the sweep runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import libvirt
import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openbill.api.tests.conftest import token_client
from openbill.core.actors import Actor
from openbill.core.errors import NotAllowed
from openbill.core.tests import factories as f
from openbill.orders import actions as orders
from openbill.provisioning import actions as provisioning
from openbill.provisioning.modules.libvirt_vm import connect
from openbill.services import actions as services
from openbill.services.choices import Status, SuspendReason
from openbill.services.models import Service
from openbill.support import actions, sweeps
from openbill.support.models import AbuseAction, AbuseReport, SupportSettings, TicketStatus

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", None, "abuse@provider.test")
W = "test-worker"


@pytest.fixture(autouse=True)
def _queued_tasks(settings: Any) -> None:
    # Provisioning runs from the queue, as in the worker, after the report's commit.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_queued_mail() -> None:
    for row in DBTaskResult.objects.filter(task_path__startswith="openbill.support.tasks").order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


def run_modules(now: Any) -> list[str]:
    return [provisioning.run(pk, worker=W, now=now) for pk in provisioning.due_task_ids(now=now)]


@pytest.fixture
def limit(provider: Any) -> SupportSettings:
    return SupportSettings.objects.create(provider=provider, abuse_limit=10)


@pytest.fixture
def running(alice: Any, vps_plan: Any, vps_host: Any) -> list[Service]:
    """Two of alice's servers, really running on the libvirt node."""
    now = timezone.now()
    found = []
    for name in ("web", "db"):
        service = f.service(alice, vps_plan, status=Status.ORDERED, name=name)
        services.request_activation(service, actor=STAFF, now=now)
        found.append(service)
    assert run_modules(now) == ["done", "done"]
    return [Service.objects.get(pk=s.pk) for s in found]


def machine_state(host: Any, service: Service) -> int:
    return connect(host.config["uri"]).lookupByName(service.remote_id).state()[0]


def report(
    client: Any, score: int, *, action: str = AbuseAction.FORWARD, service: Any = None, days: int = 3
) -> AbuseReport:
    return actions.file_abuse_report(
        client,
        service=service,
        description="Spam sent from your server",
        evidence="Received: from web…",
        score=score,
        deadline=timezone.now() + timedelta(days=days),
        action=action,
        actor=STAFF,
        now=timezone.now(),
    )


def test_a_report_opens_an_abuse_ticket_and_tells_the_client(
    alice, limit, alice_web, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filed = report(alice, 3)
    run_queued_mail()

    assert filed.ticket.department.is_abuse and filed.ticket.status == TicketStatus.ANSWERED
    assert [m.to for m in mail.outbox] == [["alice@test.test"]]
    assert "Spam sent from your server" in mail.outbox[0].body
    thread = alice_web.get(f"/support/{filed.ticket_id}/").content.decode()
    assert "Spam sent from your server" in thread
    alice.refresh_from_db()
    assert alice.abuse_score == 3
    assert 'data-testid="abuse-notice"' in alice_web.get("/").content.decode()


def test_over_the_limit_every_service_stops_through_its_module_and_resolving_resumes(
    alice, bob, vps_plan, limit, running, vps_host
):
    bobs = f.service(bob, vps_plan, name="bob's")
    first = report(alice, 6)
    assert all(not s.suspended_for_abuse for s in Service.objects.filter(client=alice))  # 6 ≤ 10

    second = report(alice, 5)  # 11 > 10

    for service in Service.objects.filter(client=alice):
        assert service.suspended_for_abuse and service.operation == "suspension"
    assert run_modules(timezone.now()) == ["done", "done"]
    for service in Service.objects.filter(client=alice):
        assert service.status == Status.SUSPENDED and service.label == "Suspended due to abuse"
        assert machine_state(vps_host, service) == libvirt.VIR_DOMAIN_PAUSED
        assert service.events.filter(kind="suspension requested", note_kind="abuse_over_limit").exists()
    assert not Service.objects.get(pk=bobs.pk).suspended_for_abuse

    actions.resolve_abuse_report(second, actor=STAFF, now=timezone.now())  # back to 6

    assert run_modules(timezone.now()) == ["done", "done"]
    for service in Service.objects.filter(client=alice):
        assert service.status == Status.ACTIVE and not service.suspended_for_abuse
        assert machine_state(vps_host, service) == libvirt.VIR_DOMAIN_RUNNING
    alice.refresh_from_db()
    assert alice.abuse_score == 6 and first.is_open


def test_resolving_keeps_a_service_that_another_reason_holds(alice, limit, running, vps_host):
    web, db = running
    services.suspend(web, reason=SuspendReason.ADMIN, actor=STAFF, now=timezone.now())
    filed = report(alice, 20)
    run_modules(timezone.now())

    actions.resolve_abuse_report(filed, actor=STAFF, now=timezone.now())
    run_modules(timezone.now())

    web.refresh_from_db()
    db.refresh_from_db()
    assert web.status == Status.SUSPENDED and web.suspend_reasons == {SuspendReason.ADMIN}
    assert db.status == Status.ACTIVE


def test_over_the_limit_the_client_cannot_order(alice, alice_user, alice_web, vps_plan, limit):
    report(alice, 11)
    with pytest.raises(NotAllowed):
        orders.place_order(alice, tariff=vps_plan, period="month", actor=Actor("client"), now=timezone.now())

    web = alice_web.post(f"/order/{vps_plan.pk}/", {"period": "month", "action": "cart", "request_key": "k1"})
    assert web.status_code == 403
    assert "New orders are blocked while your account is under an abuse review." in web.content.decode()
    answer = token_client(alice_user).post("/api/v1/cart/", {"tariff": vps_plan.pk, "period": "month"}, format="json")
    assert answer.status_code == 403
    assert "abuse" in answer.json()["detail"]
    assert not Service.objects.filter(client=alice).exists()


def test_with_scores_off_a_report_suspends_nothing_and_ordering_stays_open(alice, vps_plan, running):
    report(alice, 1000)
    assert not Service.objects.filter(client=alice, suspended_for_abuse=True).exists()
    line = orders.place_order(alice, tariff=vps_plan, period="month", actor=Actor("client"), now=timezone.now())
    assert line.service.status == Status.ORDERED


def test_only_staff_file_and_resolve_reports(alice, limit):
    with pytest.raises(NotAllowed):
        actions.file_abuse_report(
            alice,
            description="x",
            score=50,
            deadline=timezone.now(),
            action="forward",
            actor=Actor("client"),
            now=timezone.now(),
        )
    filed = report(alice, 1)
    with pytest.raises(NotAllowed):
        actions.resolve_abuse_report(filed, actor=Actor("client"), now=timezone.now())
    assert AbuseReport.objects.get().is_open


@pytest.mark.parametrize("runs", [1, 3])
def test_the_deadline_action_runs_once_however_often_the_sweep_runs(alice, limit, running, vps_host, runs):
    web, db = running
    filed = report(alice, 1, action=AbuseAction.SUSPEND_SERVICE, service=web, days=2)
    assert sweeps.run(timezone.now())["abuse_deadlines"] == []  # not yet
    later = timezone.now() + timedelta(days=2, minutes=1)
    assert any(f"report #{filed.pk}" in line for line in sweeps.preview(later))

    results = [sweeps.run(later)["abuse_deadlines"] for _ in range(runs)]

    assert results == [[filed.pk]] + [[]] * (runs - 1)
    web.refresh_from_db()
    db.refresh_from_db()
    assert web.suspended_for_abuse and not db.suspended_for_abuse
    assert web.events.filter(note_kind="abuse_deadline").count() == 1
    run_modules(later)
    assert machine_state(vps_host, Service.objects.get(pk=web.pk)) == libvirt.VIR_DOMAIN_PAUSED
    # Resolving the report lifts what its deadline did.
    actions.resolve_abuse_report(filed, actor=STAFF, now=later)
    assert not Service.objects.get(pk=web.pk).suspended_for_abuse


def test_a_forward_deadline_puts_the_ticket_back_in_the_queue(alice, limit):
    filed = report(alice, 1, action=AbuseAction.FORWARD, days=1)
    sweeps.run(timezone.now() + timedelta(days=1, seconds=1))
    filed.ticket.refresh_from_db()
    assert filed.ticket.status == TicketStatus.OPEN and filed.ticket.waiting_since is not None


def test_the_service_page_says_why_it_is_stopped_and_links_the_abuse_ticket(alice, alice_web, limit, running):
    filed = report(alice, 11)
    run_modules(timezone.now())
    web = running[0]
    page = alice_web.get(f"/services/{web.pk}/").content.decode()
    assert "suspended due to abuse" in page
    assert f"/support/{filed.ticket_id}/" in page


def test_abuse_score_is_the_sum_of_open_reports(alice, limit):
    a = report(alice, 4)
    report(alice, 5)
    actions.resolve_abuse_report(a, actor=STAFF, now=timezone.now())
    alice.refresh_from_db()
    assert alice.abuse_score == 5
    assert alice.balance_amount == Decimal("100.00")  # abuse moves no money
