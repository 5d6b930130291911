"""The actions of each Goods/Services row: which links a client sees, for which service."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test.utils import override_settings
from django.utils import timezone

from openbill.catalog.models import DeletionWho, ProductKind
from openbill.core.tests import factories as f
from openbill.services.choices import Status

pytestmark = pytest.mark.django_db


def row_actions(http: HttpClient, service: Any) -> list[tuple[str, str]]:
    """(label, href) of the row's last cell, in order; a badge has href ""."""
    html = http.get(f"/services/?id={service.pk}").content.decode()
    row = re.search(rf'<tr data-service-id="{service.pk}">(.*?)</tr>', html, re.S)
    assert row, html
    cell = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)[-1]
    return [
        (label.strip(), href)
        for href, label in re.findall(r'<(?:a [^>]*href="([^"]*)"|span class="badge[^"]*"[^>]*)>([^<]*)<', cell)
    ]


@pytest.fixture
def hosting(provider: Any) -> Any:
    kind = f.product_type(
        provider,
        kind=ProductKind.VIRTUAL_HOSTING,
        instruction_template="Log in",
        deletion_who=DeletionWho.CLIENT_AND_STAFF,
    )
    return f.tariff(kind)


def test_an_active_monthly_server_has_one_menu_to_see_edit_extend_suspend_reboot_and_delete_it(
    alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    vps_plan.product_type.deletion_who = DeletionWho.CLIENT_AND_STAFF
    vps_plan.product_type.save()
    service = f.service(alice, vps_plan, period="month")
    pk = service.pk
    assert row_actions(alice_http, service) == [
        ("Details", f"/services/{pk}/"),
        ("History", f"/services/{pk}/history/"),
        ("Statistics", f"/services/{pk}/statistics/"),
        ("Edit", f"/services/{pk}/edit/"),
        ("Extend", f"/services/{pk}/extend/"),
        ("Suspend", f"/services/{pk}/suspend/"),
        ("Reboot", f"/services/{pk}/reboot/"),
        ("Delete", f"/services/{pk}/delete/"),
        ("Ask a question", f"/support/new/?service={pk}"),
    ]
    html = alice_http.get(f"/services/?id={pk}").content.decode()
    # One menu per row, not a stack of buttons.
    assert html.count('data-bs-toggle="dropdown"') == 1
    assert html.count('class="dropdown-item') == 9


def test_suspend_and_reboot_ask_first_and_say_what_will_happen(
    alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    service = f.service(alice, vps_plan, period="month")
    suspend = alice_http.get(f"/services/{service.pk}/suspend/").content.decode()
    reboot = alice_http.get(f"/services/{service.pk}/reboot/").content.decode()

    assert "does not answer until you resume it" in suspend
    assert f"it is paid until {timezone.localtime(service.expires_at):%Y-%m-%d}" in suspend
    assert "running programs are stopped" in reboot
    service.refresh_from_db()
    assert (service.status, service.operation, service.suspend_reasons) == (Status.ACTIVE, "", frozenset())


def test_a_daily_service_extends_by_topping_up_and_shows_its_instruction(
    alice: Any, alice_http: HttpClient, hosting: Any
) -> None:
    service = f.service(alice, hosting, period="day", suspended_by_client=True, status=Status.SUSPENDED)
    labels = dict(row_actions(alice_http, service))
    assert labels["Extend"] == "/finances/topup/"
    assert labels["Edit"] == f"/services/{service.pk}/edit/"
    assert labels["Instruction"] == f"/services/{service.pk}/instructions/"


def test_a_service_awaiting_configuration_offers_configure_and_nothing_to_edit(
    alice: Any, alice_http: HttpClient, hosting: Any
) -> None:
    service = f.service(alice, hosting, status=Status.CONFIGURATION_REQUIRED)
    labels = [label for label, _href in row_actions(alice_http, service)]
    # Configure, the step the service waits for, stands beside the row's menu; its manual waits
    # until the service is active.
    assert labels == ["Configure", "Details", "History", "Statistics", "Delete", "Ask a question"]
    html = alice_http.get(f"/services/?id={service.pk}").content.decode()
    assert f'class="btn btn-sm btn-warning" href="/services/{service.pk}/configure/"' in html


def test_an_ordered_domain_has_only_details_and_history_and_no_instruction_yet(
    alice: Any, alice_http: HttpClient, provider: Any
) -> None:
    domain = f.tariff(
        f.product_type(
            provider, kind=ProductKind.DOMAIN, instruction_template="DNS", deletion_who=DeletionWho.STAFF_ONLY
        )
    )
    service = f.service(alice, domain, status=Status.ORDERED)
    assert [label for label, _href in row_actions(alice_http, service)] == ["Details", "History", "Ask a question"]


@override_settings(TIME_ZONE="UTC")
def test_a_scheduled_deletion_shows_its_date_instead_of_delete(
    alice: Any, alice_http: HttpClient, hosting: Any
) -> None:
    when = timezone.now() + timedelta(days=3)
    service = f.service(alice, hosting, delete_at=when)
    actions = row_actions(alice_http, service)
    assert (f"Deleted on {when:%Y-%m-%d}", "") in actions
    assert "Delete" not in [label for label, _href in actions]
    html = alice_http.get(f"/services/?id={service.pk}").content.decode()
    assert 'class="badge text-bg-danger" title="Scheduled for deletion"' in html


def test_a_deletion_in_progress_offers_no_second_delete(alice: Any, alice_http: HttpClient, hosting: Any) -> None:
    running = f.service(alice, hosting, operation="deletion")
    assert "Delete" not in [label for label, _href in row_actions(alice_http, running)]


def test_row_actions_are_in_the_clients_language(alice: Any, alice_user: Any, vps_plan: Any) -> None:
    alice_user.language = "es"
    alice_user.save()
    http = HttpClient()
    http.force_login(alice_user)
    http.cookies["django_language"] = "es"
    service = f.service(alice, vps_plan)
    labels = [label for label, _href in row_actions(http, service)]
    assert "Details" not in labels
    assert "History" not in labels
