"""/me/, the balance, the ledger, the catalog and the dashboard widgets, as the client sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from openbill.billing.actions import post_entry
from openbill.billing.models import EntryKind
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.services.choices import Status

from .factories import rate_overage

pytestmark = pytest.mark.django_db


def test_me_shows_the_user_and_their_client(alice_api, alice, alice_user):
    body = alice_api.get("/api/v1/me/").json()

    assert body["user"]["email"] == alice_user.email
    assert body["client"]["id"] == alice.pk
    assert body["client"]["currency"] == "USD"
    assert body["client"]["balance_amount"] == "100.00"


def test_me_for_staff_without_a_client_has_no_client(staff_api):
    body = staff_api.get("/api/v1/me/").json()

    assert body["user"]["is_staff"] is True
    assert body["client"] is None


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/services/",
        "/api/v1/balance/",
        "/api/v1/ledger/",
        "/api/v1/catalog/tariffs/",
        "/api/v1/catalog/product-types/",
        "/api/v1/dashboard/active-services/",
        "/api/v1/dashboard/overages/",
    ],
)
def test_client_endpoints_refuse_staff_without_a_client(staff_api, url):
    response = staff_api.get(url)

    assert response.status_code == 403
    assert "client account" in response.json()["detail"]


def test_session_authentication_works_too(client, alice, alice_user, vps_plan):
    f.service(alice, vps_plan)
    client.force_login(alice_user)

    response = client.get("/api/v1/services/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_anonymous_callers_get_401(client):
    response = client.get("/api/v1/services/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_balance_shows_balance_credit_limit_and_what_may_be_spent(alice_api, alice):
    alice.credit_limit = Decimal("25")
    alice.save(update_fields=["credit_limit"])

    body = alice_api.get("/api/v1/balance/").json()

    assert body == {
        "currency": "USD",
        "balance_amount": "100.00",
        "credit_limit": "25.00",
        "available_amount": "125.00",
        "balance_text": "100 USD",
    }


def test_ledger_lists_payments_and_charges_newest_first(alice_api, alice, bob, vps_plan):
    service = f.service(alice, vps_plan, name="web-1")
    later = timezone.now() + timedelta(minutes=1)
    post_entry(
        alice,
        amount=Decimal("-10"),
        kind=EntryKind.CHARGE,
        key="test-charge",
        description=Text.verbatim("VPS-1, one month"),
        now=later,
        service_id=service.pk,
    )

    rows = alice_api.get("/api/v1/ledger/").json()["results"]

    assert [(r["kind"], r["amount"], r["balance_after"]) for r in rows] == [
        ("charge", "-10.00", "90.00"),
        ("payment", "100.00", "100.00"),
    ]
    assert rows[0]["service"] == {"id": service.pk, "name": "web-1"}
    assert rows[1]["service"] is None
    assert alice_api.get("/api/v1/ledger/?kind=payment").json()["count"] == 1


def test_catalog_lists_orderable_tariffs_with_prices_addons_and_items(alice_api, vps_plan, vps_type):
    f.addon(vps_plan, "ram", unit="GB", included=Decimal(1), maximum=Decimal(64), prices={"month": "2.5"})
    f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}, "windows": {"month": "15.00"}})
    f.tariff(vps_type, "Hidden", orderable=False)

    rows = alice_api.get("/api/v1/catalog/tariffs/").json()["results"]

    assert [r["name"] for r in rows] == ["VPS-1"]
    tariff = rows[0]
    assert {p["period"]: (p["price"], p["setup_fee"]) for p in tariff["prices"]} == {
        "day": ("1.00", "5.00"),
        "month": ("10.00", "5.00"),
        "year": ("500.00", "5.00"),
    }
    addons = {a["resource"]: a for a in tariff["addons"]}
    assert addons["ram"]["prices"] == [{"period": "month", "unit_price": "2.50"}]
    assert addons["ram"]["included"] == "1"
    assert addons["ram"]["maximum"] == "64"
    assert [(i["code"], i["prices"]) for i in addons["os"]["items"]] == [
        ("debian", [{"period": "month", "unit_price": "0.00"}]),
        ("windows", [{"period": "month", "unit_price": "15.00"}]),
    ]


def test_catalog_shows_only_the_callers_provider(alice_api, vps_type):
    other = f.product_type(f.provider("Other Hosting"), "vds", name="Elsewhere")
    f.tariff(other, "Foreign")

    types = alice_api.get("/api/v1/catalog/product-types/").json()["results"]
    tariffs = alice_api.get("/api/v1/catalog/tariffs/").json()["results"]

    assert [t["id"] for t in types] == [vps_type.pk]
    assert tariffs == []


def test_product_types_carry_their_parameters(alice_api, vps_type):
    f.parameter(vps_type, "hostname", "hostname")

    row = alice_api.get("/api/v1/catalog/product-types/").json()["results"][0]

    assert row["kind"] == "vds"
    assert row["parameters"] == [
        {"code": "hostname", "label": "Hostname", "kind": "hostname", "required": True, "choices": [], "choice_labels": []}
    ]


def test_active_services_widget_has_the_seed_formats(alice_api, alice, provider):
    daily = f.tariff(f.product_type(provider, "hosting"), "Daily", prices={"day": "1.00"})
    yearly = f.tariff(f.product_type(provider, "domain"), "Yearly", prices={"year": "500.00"})
    now = datetime(2025, 7, 15, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        running = f.service(alice, daily, period="day", expires_at=datetime(2025, 8, 7, 9, tzinfo=UTC))
        stopped = f.service(
            alice,
            yearly,
            period="year",
            status=Status.SUSPENDED,
            suspended_expired=True,
            auto_renew=False,
            expires_at=datetime(2025, 7, 1, 9, tzinfo=UTC),
        )
        f.service(alice, daily, status=Status.ORDERED)
        rows = alice_api.get("/api/v1/dashboard/active-services/").json()["results"]

    assert [(r["id"], r["expiration_text"], r["auto_renew"], r["renew_cost_text"]) for r in rows] == [
        (stopped.pk, "Stopped 2025-07-01", False, "500 USD/year"),
        (running.pk, "Expires 2025-08-07", True, "1.00 USD/day"),
    ]
    assert rows[0]["stopped"] is True


def test_overages_widget_is_empty_until_usage_exists(alice_api, alice, vps_plan):
    f.service(alice, vps_plan)

    body = alice_api.get("/api/v1/dashboard/overages/").json()

    assert body["count"] == 0
    assert body["results"] == []


def test_overages_widget_totals_each_services_overage_this_month(alice_api, alice, bob, vps_plan):
    traffic = f.addon(vps_plan, "traffic", billing_type="statistics", overage_price=Decimal("0.01"))
    ips = f.addon(vps_plan, "ipv4", billing_type="statistics", overage_price=Decimal("2"))
    now = datetime(2025, 7, 15, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        mine = f.service(alice, vps_plan, name="web-1", expires_at=datetime(2025, 8, 7, 9, tzinfo=UTC))
        rate_overage(mine, traffic, "3.25", now)
        rate_overage(mine, ips, "4.00", now)
        rate_overage(f.service(bob, vps_plan), traffic, "9.00", now)
        rows = alice_api.get("/api/v1/dashboard/overages/").json()["results"]

    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["name"], row["expiration_text"]) == (mine.pk, "web-1", "Expires 2025-08-07")
    assert (row["overage_amount"], row["overage_cost_text"], row["currency"]) == ("7.25", "7.25 USD", "USD")
    assert row["url"]
