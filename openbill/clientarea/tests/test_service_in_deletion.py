"""A service being deleted (deleted, its deletion running, asked for or scheduled) accepts no
charge and no change: the row, the page, the client area's forms, the API and the actions
themselves offer only its History (and, while only scheduled, keeping it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openbill.accounts.models import ApiToken
from openbill.billing.models import Expense, ExpenseKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.orders import actions as orders
from openbill.services import actions
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service
from openbill.services.rules import Action, allowed_actions

pytestmark = pytest.mark.django_db

ALICE = Actor("client", None, "alice")
STATES = ["deletion running", "deletion waiting for a reboot", "deletion scheduled", "deleted"]
# A deleted service is no longer the client's to see: its pages and API answer 404.
VISIBLE = [s for s in STATES if s != "deleted"]
REFUSAL = {
    "deletion running": "The service is being deleted: only its history is available.",
    "deletion waiting for a reboot": "The service is being deleted: only its history is available.",
    "deletion scheduled": "The service is scheduled for deletion: cancel the scheduled deletion first.",
    "deleted": "The service is deleted.",
}


@pytest.fixture
def ram(vps_plan: Any) -> Any:
    return f.addon(vps_plan, "ram", prices={"month": "2.00", "year": "20.00"}, included=1, minimum=1, maximum=16)


def make(alice: Any, plan: Any, ram: Any, state: str, *, suspended: bool = False) -> Service:
    """A paid monthly server with 2 GiB in ``state``; ``suspended``: stopped by the client."""
    now = timezone.now()
    expires = now + timedelta(days=15)
    fields: dict[str, Any] = {"status": Status.SUSPENDED if suspended else Status.ACTIVE}
    if suspended:
        fields["suspended_by_client"] = True
    if state == "deletion running":
        fields["operation"] = Operation.DELETION
    elif state == "deletion waiting for a reboot":
        fields["operation"] = Operation.REBOOT
        fields["delete_at"] = now - timedelta(minutes=5)
    elif state == "deletion scheduled":
        fields["delete_at"] = expires
    elif state == "deleted":
        fields.update(status=Status.DELETED, deleted_at=now - timedelta(minutes=5), suspended_by_client=False)
    service = f.service(alice, plan, period="month", expires_at=expires, addons={ram: "2"}, auto_renew=False, **fields)
    from openbill.billing.actions import charge_service

    charge_service(
        service,
        kind=ExpenseKind.PERIOD,
        key="paid",
        amount=Decimal("12.00"),
        description=Text.verbatim("period"),
        now=now - timedelta(days=16),
        period_start=now - timedelta(days=16),
        period_end=expires,
    )
    return service


def snapshot(service: Service) -> tuple[Any, ...]:
    """What a refused action must leave as it was: money, dates, reasons, operation, add-ons."""
    service.refresh_from_db()
    client = service.client
    client.refresh_from_db()
    return (
        client.balance_amount,
        LedgerEntry.objects.filter(client=client).count(),
        Expense.objects.filter(service=service).count(),
        service.status,
        service.operation,
        service.delete_at,
        service.expires_at,
        service.period,
        sorted(service.suspend_reasons),
        sorted((a.addon_id, a.quantity) for a in service.addons.all()),
    )


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_a_service_being_deleted_allows_only_its_history(alice: Any, vps_plan: Any, ram: Any, state: str) -> None:
    service = make(alice, vps_plan, ram, state)
    expected = {Action.DETAILS, Action.HISTORY}
    if state == "deletion scheduled":
        expected.add(Action.CANCEL_DELETION)
    assert allowed_actions(service) == expected


def test_a_running_server_allows_its_usual_actions(alice: Any, vps_plan: Any, ram: Any) -> None:
    service = make(alice, vps_plan, ram, "running")
    assert {Action.EXTEND, Action.EDIT, Action.SUSPEND, Action.REBOOT, Action.DELETE} <= allowed_actions(service)


# --- the row and the page -------------------------------------------------------------------


def row_links(http: HttpClient, service: Service) -> list[str]:
    html = http.get(f"/services/?id={service.pk}&status=").content.decode()
    row = re.search(rf'<tr data-service-id="{service.pk}">(.*?)</tr>', html, re.S)
    assert row, html
    cell = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)[-1]
    return [label.strip() for label in re.findall(r"<a [^>]*>([^<]*)<", cell)]


@pytest.mark.parametrize("state", VISIBLE)
def test_the_row_of_a_service_being_deleted_offers_only_history(
    alice: Any, alice_http: HttpClient, vps_plan: Any, ram: Any, state: str
) -> None:
    service = make(alice, vps_plan, ram, state)
    assert row_links(alice_http, service) == ["Details", "History"]


BUTTONS = {
    "Edit": "/edit/",
    "Extend": "/extend/",
    "Suspend": "/suspend/",
    "Resume": "/resume/",
    "Reboot": "/reboot/",
    "Delete": "/delete/",
}


@pytest.mark.parametrize("suspended", [False, True])
@pytest.mark.parametrize("state", VISIBLE)
def test_the_page_of_a_service_being_deleted_offers_only_history(
    alice: Any, alice_http: HttpClient, vps_plan: Any, ram: Any, state: str, suspended: bool
) -> None:
    service = make(alice, vps_plan, ram, state, suspended=suspended)
    page = alice_http.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    for label, path in BUTTONS.items():
        assert f"/services/{service.pk}{path}" not in page, label
    assert f"/services/{service.pk}/history/" in page
    assert (f"/services/{service.pk}/cancel-deletion/" in page) == (state == "deletion scheduled")


# --- every way in refuses, and nothing moves ----------------------------------------------------

CLIENT_AREA_POSTS: dict[str, tuple[str, Callable[[Any], dict[str, str]], bool]] = {
    # action: (URL name, form data, needs a service the client suspended)
    "extend": ("clientarea:service_extend", lambda s: {"period": "month"}, False),
    "edit": (
        "clientarea:service_edit",
        lambda s: {
            "action": "confirm",
            "tariff": str(s.tariff_id),
            "period": "month",
            "auto_renew": "on",
            "addon_ram": "8",
            "request_key": "k1",
        },
        False,
    ),
    "suspend": ("clientarea:service_suspend", lambda s: {}, False),
    "resume": ("clientarea:service_resume", lambda s: {}, True),
    "reboot": ("clientarea:service_reboot", lambda s: {}, False),
    "delete": ("clientarea:service_delete", lambda s: {}, False),
}


@pytest.mark.parametrize("action", list(CLIENT_AREA_POSTS))
@pytest.mark.parametrize("state", VISIBLE)
def test_the_client_area_refuses_every_action_on_a_service_being_deleted(
    alice: Any, alice_http: HttpClient, vps_plan: Any, ram: Any, state: str, action: str
) -> None:
    name, data, suspended = CLIENT_AREA_POSTS[action]
    service = make(alice, vps_plan, ram, state, suspended=suspended)
    before = snapshot(service)
    response = alice_http.post(reverse(name, args=[service.pk]), data(service), follow=True)
    assert response.redirect_chain[-1][0] == reverse("clientarea:service", args=[service.pk])
    assert [str(m) for m in response.context["messages"]] == [REFUSAL[state]]
    assert snapshot(service) == before


API_CALLS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "renew": ("/api/v1/services/{pk}/renew/", {"period": "month"}, False),
    "change": ("/api/v1/services/{pk}/change/", {"addons": {"ram": "8"}}, False),
    "suspend": ("/api/v1/services/{pk}/suspend/", {}, False),
    "resume": ("/api/v1/services/{pk}/resume/", {}, True),
    "reboot": ("/api/v1/services/{pk}/reboot/", {}, False),
    "delete": ("/api/v1/services/{pk}/delete/", {}, False),
}


@pytest.mark.parametrize("call", list(API_CALLS))
@pytest.mark.parametrize("state", VISIBLE)
def test_the_api_answers_409_for_every_action_on_a_service_being_deleted(
    alice: Any, alice_user: Any, vps_plan: Any, ram: Any, state: str, call: str
) -> None:
    from rest_framework.test import APIClient

    path, body, suspended = API_CALLS[call]
    service = make(alice, vps_plan, ram, state, suspended=suspended)
    before = snapshot(service)
    _, raw = ApiToken.issue(alice_user, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(path.format(pk=service.pk), body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["detail"]
    assert snapshot(service) == before


DOMAIN_ACTIONS: dict[str, tuple[Callable[[Service], object], bool]] = {
    "extend": (lambda s: orders.extend_service(s, period="month", actor=ALICE, now=timezone.now()), False),
    "change": (lambda s: orders.change_service(s, actor=ALICE, now=timezone.now(), addons={"ram": "8"}), False),
    "auto-renew": (lambda s: orders.change_service(s, actor=ALICE, now=timezone.now(), auto_renew=True), False),
    "suspend": (
        lambda s: actions.suspend(s, reason=SuspendReason.CLIENT, actor=ALICE, now=timezone.now()),
        False,
    ),
    "resume": (lambda s: actions.resume(s, reason=SuspendReason.CLIENT, actor=ALICE, now=timezone.now()), True),
    "reboot": (lambda s: actions.reboot(s, actor=ALICE, now=timezone.now()), False),
    "delete": (lambda s: actions.delete_service(s, actor=ALICE, now=timezone.now()), False),
}


@pytest.mark.parametrize("action", list(DOMAIN_ACTIONS))
@pytest.mark.parametrize("state", STATES)
def test_the_actions_refuse_a_service_being_deleted(
    alice: Any, vps_plan: Any, ram: Any, state: str, action: str
) -> None:
    call, suspended = DOMAIN_ACTIONS[action]
    service = make(alice, vps_plan, ram, state, suspended=suspended)
    before = snapshot(service)
    with pytest.raises(IllegalTransition) as refused:
        call(service)
    assert refused.value.message == REFUSAL[state]
    assert snapshot(service) == before


def test_extending_a_service_whose_deletion_runs_charges_nothing(
    alice: Any, alice_http: HttpClient, vps_plan: Any, ram: Any
) -> None:
    service = make(alice, vps_plan, ram, "deletion running")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("88.00")
    alice_http.post(reverse("clientarea:service_extend", args=[service.pk]), {"period": "month"})
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("88.00")
    assert list(LedgerEntry.objects.filter(client=alice, service=service).values_list("amount", flat=True)) == [
        Decimal("-12.00")
    ]


@pytest.mark.parametrize("state", VISIBLE)
def test_the_dashboard_does_not_link_a_service_being_deleted_to_extend(
    alice: Any, alice_http: HttpClient, vps_plan: Any, ram: Any, state: str
) -> None:
    service = make(alice, vps_plan, ram, state)
    running = make(alice, vps_plan, ram, "running")
    page = alice_http.get(reverse("clientarea:dashboard")).content.decode()
    assert f"/services/{running.pk}/extend/" in page
    assert f"/services/{service.pk}/extend/" not in page
