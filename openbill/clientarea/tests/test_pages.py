"""What a client sees: dashboard widgets, Goods/Services, a service, finances, profile."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from openbill.accounts.models import ApiToken
from openbill.billing.actions import post_entry
from openbill.billing.models import EntryKind
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.services import events
from openbill.services.choices import Status

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 10, 12, 0, tzinfo=UTC)


def text(response: Any) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def widget_row(response: Any, service_id: int) -> str:
    html = response.content.decode()
    start = html.index('data-testid="active-services"')
    end = html.index('data-testid="overages"')
    match = re.search(rf'<tr data-service-id="{service_id}"[^>]*>(.*?)</tr>', html[start:end], re.S)
    assert match, f"service {service_id} not in the Active Services widget"
    return match.group(1)


def cells(row_html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<td.*?>(.*?)</td>", row_html, re.S)
    ]


def optional(name: str, **kwargs: Any) -> str:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


# --- dashboard ----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_active_services_widget_shows_the_seed_formats(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    daily = f.service(alice, vps_plan, name="Test box", period="day", expires_at=datetime(2025, 7, 11, tzinfo=UTC))
    yearly = f.service(
        alice,
        vps_plan,
        name="Database",
        period="year",
        auto_renew=False,
        expires_at=datetime(2025, 8, 7, 9, 0, tzinfo=UTC),
    )
    expired = f.service(
        alice,
        vps_plan,
        name="Old blog",
        status=Status.SUSPENDED,
        suspended_expired=True,
        expires_at=datetime(2025, 7, 1, 0, 0, tzinfo=UTC),
        suspended_at=datetime(2025, 7, 1, 0, 0, tzinfo=UTC),
    )

    response = alice_http.get("/")
    assert response.status_code == 200

    assert cells(widget_row(response, yearly.pk)) == [
        str(yearly.pk),
        "Database",
        "Expires 2025-08-07",
        "Off",
        "500 USD/year",
    ]
    assert cells(widget_row(response, daily.pk)) == [
        str(daily.pk),
        "Test box",
        "Expires 2025-07-11",
        "On",
        "1.00 USD/day",
    ]
    assert cells(widget_row(response, expired.pk)) == [
        str(expired.pk),
        "Old blog",
        "Stopped 2025-07-01",
        "On",
        "10.00 USD/month",
    ]


@time_machine.travel(NOW, tick=False)
def test_widget_id_links_to_the_filtered_list_and_renew_cost_to_renewing(
    alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    daily = f.service(alice, vps_plan, period="day")
    monthly = f.service(alice, vps_plan, period="month")
    response = alice_http.get("/")

    assert f'href="/services/?id={monthly.pk}"' in widget_row(response, monthly.pk)
    extend = optional("clientarea:service_extend", pk=monthly.pk) or reverse("clientarea:service", args=[monthly.pk])
    assert f'href="{extend}">10.00 USD/month' in widget_row(response, monthly.pk)
    # A daily-priced service is not extended: it lives on the balance, so its cost links to topping up.
    topup = optional("clientarea:topup") or reverse("clientarea:finances")
    assert f'href="{topup}">1.00 USD/day' in widget_row(response, daily.pk)


@time_machine.travel(NOW, tick=False)
def test_renew_cost_includes_the_add_ons(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    ram = f.addon(vps_plan, "ram", unit="GB", prices={"month": "2.50"})
    service = f.service(alice, vps_plan, addons={ram: "2"})
    assert cells(widget_row(alice_http.get("/"), service.pk))[-1] == "15.00 USD/month"


@time_machine.travel(NOW, tick=False)
def test_widget_date_is_the_providers_calendar_day(
    provider: Any, alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    provider.time_zone = "Asia/Tokyo"
    provider.save()
    service = f.service(alice, vps_plan, expires_at=datetime(2025, 8, 6, 20, 0, tzinfo=UTC))  # 7 Aug in Tokyo
    assert "Expires 2025-08-07" in cells(widget_row(alice_http.get("/"), service.pk))


def test_widget_lists_only_active_and_stopped_services(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    ordered = f.service(alice, vps_plan, status=Status.ORDERED)
    active = f.service(alice, vps_plan)
    html = alice_http.get("/").content.decode()
    assert f'data-service-id="{active.pk}"' in html
    assert f'data-service-id="{ordered.pk}"' not in html


def test_overages_widget_shows_its_columns_or_the_empty_message(alice_http: HttpClient) -> None:
    page = text(alice_http.get("/"))
    assert "Services with overages" in page
    assert "It will appear once more information is gathered." in page


def test_dashboard_shows_balance_and_running_operations(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    rebooting = f.service(alice, vps_plan, name="Rebooting box", operation="reboot")
    page = text(alice_http.get("/"))
    assert "Balance 100 USD" in page
    assert f"#{rebooting.pk} Rebooting box — In progress (reboot)" in page


def test_dashboard_rows_escape_what_a_client_named(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    """The widgets' rows are written in Python (clientarea.views): a name is text, never markup."""
    named = f.service(alice, vps_plan, name='<b>bold</b> & "quoted"', operation="reboot")
    html = alice_http.get("/").content.decode()
    assert "<b>bold</b>" not in html
    escaped = "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"
    assert f'<a href="/services/{named.pk}/">#{named.pk} {escaped}</a>' in html
    assert f"<td>{escaped}</td>" in widget_row(alice_http.get("/"), named.pk)


# --- Goods/Services ----------------------------------------------------------------------------


@pytest.fixture
def many(alice: Any, vps_plan: Any, provider: Any) -> dict[str, Any]:
    domain_type = f.product_type(provider, "domain")
    domain_plan = f.tariff(domain_type, "com", prices={"year": "12.00"})
    return {
        "web": f.service(alice, vps_plan, name="Web server"),
        "db": f.service(alice, vps_plan, name="Database server", auto_renew=False),
        "ordered": f.service(alice, vps_plan, name="New box", status=Status.ORDERED),
        "abuse": f.service(
            alice, vps_plan, name="Spam box", status=Status.SUSPENDED, suspended_for_abuse=True, suspended_by_admin=True
        ),
        "admin": f.service(alice, vps_plan, name="Held box", status=Status.SUSPENDED, suspended_by_admin=True),
        "client": f.service(alice, vps_plan, name="Paused box", status=Status.SUSPENDED, suspended_by_client=True),
        "busy": f.service(alice, vps_plan, name="Busy box", operation="transfer"),
        "config": f.service(alice, vps_plan, name="Quick box", status=Status.CONFIGURATION_REQUIRED),
        "na": f.service(alice, vps_plan, name="Waiting box", status=Status.NOT_AVAILABLE),
        "domain": f.service(alice, domain_plan, name="alice.example", period="year"),
        "domain_type": domain_type,
    }


def listed_ids(response: Any) -> list[int]:
    table = response.content.decode()
    return [int(pk) for pk in re.findall(r'<tr data-service-id="(\d+)">', table)]


def test_services_list_shows_the_seed_status_labels(alice_http: HttpClient, many: dict[str, Any]) -> None:
    page = text(alice_http.get("/services/"))
    for label in (
        "Active",
        "Ordered",
        "Suspended due to abuse",
        "Suspended by administrator",
        "Suspended",
        "In progress (transfer)",
        "Configuration required",
        "Not available",
    ):
        assert label in page


def test_services_list_shows_the_auto_renewal_icon_with_an_accessible_label(
    alice_http: HttpClient, many: dict[str, Any]
) -> None:
    html = alice_http.get(f"/services/?id={many['web'].pk}").content.decode()
    assert 'role="img" aria-label="Automatic renewal on"' in html
    html = alice_http.get(f"/services/?id={many['db'].pk}").content.decode()
    assert 'role="img" aria-label="Automatic renewal off"' in html


def test_services_list_filters_by_id(alice_http: HttpClient, many: dict[str, Any]) -> None:
    assert listed_ids(alice_http.get(f"/services/?id={many['db'].pk}")) == [many["db"].pk]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", ["web", "db", "domain"]),
        ("suspended", ["client"]),
        ("suspended_admin", ["admin"]),
        ("suspended_abuse", ["abuse"]),
        ("in_progress", ["busy"]),
        ("ordered", ["ordered"]),
        ("configuration_required", ["config"]),
        ("not_available", ["na"]),
    ],
)
def test_services_list_filters_by_status_label(
    alice_http: HttpClient, many: dict[str, Any], status: str, expected: list[str]
) -> None:
    ids = listed_ids(alice_http.get(f"/services/?status={status}"))
    assert sorted(ids) == sorted(many[key].pk for key in expected)


def test_services_list_filters_by_product_type_and_name(alice_http: HttpClient, many: dict[str, Any]) -> None:
    response = alice_http.get(f"/services/?product_type={many['domain_type'].pk}")
    assert listed_ids(response) == [many["domain"].pk]
    assert f'<option value="{many["domain_type"].pk}" selected>Domain</option>' in response.content.decode()
    assert sorted(listed_ids(alice_http.get("/services/?name=SERVER"))) == sorted([many["web"].pk, many["db"].pk])


def test_services_filter_form_keeps_what_was_asked_escaped_and_says_what_is_wrong(
    alice_http: HttpClient, many: dict[str, Any]
) -> None:
    """The filter form (written in Python, clientarea.filter_form) shows the asked values back,
    escaped; the chosen status selected; a bad value marks its field and names the error."""
    html = alice_http.get('/services/?name="><b>x&status=suspended').content.decode()
    assert 'name="name" id="id_name" value="&quot;&gt;&lt;b&gt;x" class="form-control form-control-sm">' in html
    assert "<b>x" not in html
    assert '<option value="suspended" selected>Suspended</option>' in html
    assert html.count(" selected>") == 1
    response = alice_http.get("/services/?id=abc")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="form-control form-control-sm is-invalid" aria-describedby="id_id-error">' in html
    assert '<div class="invalid-feedback" id="id_id-error">Enter a number.</div>' in html


def test_each_client_filters_by_its_own_providers_product_types_only(
    alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    """The filter form's class is made once per process (services.filtersets); the product types
    it accepts are still each request's client's provider's: in turn, each client's own type
    filters its list and the other provider's type is refused."""
    mine = f.service(alice, vps_plan)
    other_provider = f.provider("Other Hosting")
    other_plan = f.tariff(f.product_type(other_provider, "vds"), "Other", prices={"month": "5.00"})
    carol = f.client(other_provider, "carol@test.test")
    theirs = f.service(carol, other_plan)
    carol_http = HttpClient()
    carol_http.force_login(carol.memberships.get().user)
    for _round in range(2):
        for http, own, foreign, service in (
            (alice_http, vps_plan.product_type_id, other_plan.product_type_id, mine),
            (carol_http, other_plan.product_type_id, vps_plan.product_type_id, theirs),
        ):
            assert listed_ids(http.get(f"/services/?product_type={own}")) == [service.pk]
            refused = http.get(f"/services/?product_type={foreign}")
            assert refused.status_code == 400 and listed_ids(refused) == []


def test_services_list_sorts_by_name_both_ways(alice_http: HttpClient, many: dict[str, Any]) -> None:
    names = lambda response: re.findall(r'<td><a href="/services/\d+/">([^<]+)</a>', response.content.decode())  # noqa: E731
    ascending = names(alice_http.get("/services/?ordering=name"))
    descending = names(alice_http.get("/services/?ordering=-name"))
    assert ascending == sorted(ascending, key=str) and len(ascending) == 10
    assert descending == list(reversed(ascending))


def test_services_list_paginates_and_keeps_the_filters(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    for number in range(30):
        f.service(alice, vps_plan, name=f"Box {number:02}")
    first = alice_http.get("/services/?name=box&ordering=name")
    second = alice_http.get("/services/?name=box&ordering=name&page=2")
    assert len(listed_ids(first)) == 25 and len(listed_ids(second)) == 5
    assert not set(listed_ids(first)) & set(listed_ids(second))
    assert "?name=box&amp;ordering=name&amp;page=2" in first.content.decode()
    assert "30 services" in text(first)


def test_bad_filter_input_is_a_400_naming_the_field(alice_http: HttpClient, many: dict[str, Any]) -> None:
    response = alice_http.get("/services/?status=bogus")
    assert response.status_code == 400
    assert 'id="id_status-error"' in response.content.decode()
    assert listed_ids(response) == []


def test_services_list_never_shows_another_clients_services(
    alice_http: HttpClient, bob: Any, vps_plan: Any, many: dict[str, Any]
) -> None:
    bobs = f.service(bob, vps_plan, name="Bob's box")
    assert bobs.pk not in listed_ids(alice_http.get("/services/"))
    assert listed_ids(alice_http.get(f"/services/?id={bobs.pk}")) == []


def test_each_row_links_to_history_and_details(alice_http: HttpClient, many: dict[str, Any]) -> None:
    html = alice_http.get(f"/services/?id={many['web'].pk}").content.decode()
    assert f'href="/services/{many["web"].pk}/history/"' in html
    assert f'href="/services/{many["web"].pk}/"' in html


# --- a service ----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_service_page_shows_tariff_status_parameters_addons_and_expiry(
    alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    f.parameter(vps_plan.product_type, "hostname")
    ram = f.addon(vps_plan, "ram", name="RAM", unit="GB", prices={"month": "2.50"})
    service = f.service(
        alice,
        vps_plan,
        name="Web server",
        parameters={"hostname": "web.alice.test"},
        addons={ram: "10"},
        expires_at=datetime(2025, 8, 7, tzinfo=UTC),
    )
    page = text(alice_http.get(f"/services/{service.pk}/"))
    for expected in (
        "Web server",
        "VPS-1",
        "Active",
        "Hostname web.alice.test",
        "RAM 10 GB",
        "Expires 2025-08-07",
        "Auto-Renewal On",
        "35.00 USD/month",
    ):
        assert expected in page, expected


def test_in_progress_status_polls_until_the_operation_ends(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    service = f.service(alice, vps_plan, operation="reboot")
    status_url = f"/services/{service.pk}/status/"
    page = alice_http.get(f"/services/{service.pk}/").content.decode()
    assert f'hx-get="{status_url}" hx-trigger="every 3s"' in page
    assert "In progress (reboot)" in page

    type(service).objects.filter(pk=service.pk).update(operation="")  # the module confirmed
    fragment = alice_http.get(status_url, HTTP_HX_REQUEST="true")
    assert "Active" in fragment.content.decode()
    assert "hx-trigger" not in fragment.content.decode()  # polling stops
    assert fragment["HX-Refresh"] == "true"  # and the page reloads to show what changed


def test_history_is_newest_first_and_paginated(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    service = f.service(alice, vps_plan)
    start = timezone.now() - timedelta(days=30)
    for day in range(25):
        events.record(
            service,
            "status",
            actor=Actor.system(),
            now=start + timedelta(days=day),
            from_status="ordered",
            to_status="active",
            note=Text.verbatim(f"change {day:02}"),
        )
    first = text(alice_http.get(f"/services/{service.pk}/history/"))
    second = text(alice_http.get(f"/services/{service.pk}/history/?page=2"))
    assert first.index("change 24") < first.index("change 23")
    assert "change 05" in first and "change 04" not in first
    assert "change 04" in second and "change 00" in second
    assert "Status changed Ordered Active System" in first


# --- finances and profile ----------------------------------------------------------------------


def test_finances_shows_the_balance_and_the_ledger(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    service = f.service(alice, vps_plan)
    post_entry(
        alice,
        amount=Decimal("-10.00"),
        kind=EntryKind.CHARGE,
        key="t:charge",
        description=Text.verbatim("VPS-1, one month"),
        now=timezone.now(),
        service_id=service.pk,
    )
    page = text(alice_http.get("/finances/"))
    assert "Balance 90.00 USD" in page
    assert "VPS-1, one month" in page and "-10.00 USD" in page
    assert "Top-up" in page and "100 USD" in page


def test_api_token_is_shown_once_and_works_until_revoked(alice_user: Any, alice_http: HttpClient) -> None:
    created = alice_http.post(reverse("clientarea:token_create"), {"name": "backup script"})
    raw = re.search(r'data-testid="raw-token"', created.content.decode()) and re.search(
        r'value="(obt_[^"]+)"', created.content.decode()
    )
    assert raw
    token = ApiToken.find(raw.group(1))
    assert token is not None and token.user == alice_user
    assert raw.group(1) not in alice_http.get("/profile/").content.decode()

    revoked = alice_http.post(reverse("clientarea:token_revoke", args=[token.pk]))
    assert revoked.status_code == 302
    assert ApiToken.find(raw.group(1)) is None


def test_api_token_needs_a_name(alice_http: HttpClient) -> None:
    response = alice_http.post(reverse("clientarea:token_create"), {"name": ""})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_profile_shows_the_email_and_the_accounts_users_only(
    alice: Any, alice_user: Any, alice_http: HttpClient, bob_user: Any
) -> None:
    page = text(alice_http.get("/profile/"))
    assert alice_user.email in page and "Owner" in page
    assert bob_user.email not in page
