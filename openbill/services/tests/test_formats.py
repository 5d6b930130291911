"""The Active Services widget's formats (the seed): "Expires 2025-08-07", "Stopped 2025-07-01",
"1.00 USD/day", "500 USD/year", the renew cost with the service's add-ons, dates in the
provider's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openbill.catalog.models import BillingType
from openbill.core.tests import factories as f
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.selectors import active_services, expiration_text, renew_cost_text, with_pricing

NOW = datetime(2025, 7, 15, 12, tzinfo=UTC)


def _priced(service):
    return with_pricing(Service.objects.filter(pk=service.pk)).get()


@pytest.mark.django_db
def test_a_running_service_shows_when_it_expires(alice, vps_plan):
    service = f.service(alice, vps_plan, expires_at=datetime(2025, 8, 7, 10, tzinfo=UTC))

    assert expiration_text(_priced(service), NOW) == "Expires 2025-08-07"


@pytest.mark.django_db
def test_an_expired_service_shows_when_it_stopped(alice, vps_plan):
    lapsed = f.service(alice, vps_plan, expires_at=datetime(2025, 7, 1, 10, tzinfo=UTC))
    stopped = f.service(
        alice,
        vps_plan,
        status=Status.SUSPENDED,
        suspended_expired=True,
        expires_at=datetime(2025, 7, 1, 10, tzinfo=UTC),
        suspended_at=datetime(2025, 7, 4, 0, tzinfo=UTC),
    )

    assert expiration_text(_priced(lapsed), NOW) == "Stopped 2025-07-01"
    assert expiration_text(_priced(stopped), NOW) == "Stopped 2025-07-01"


@pytest.mark.django_db
def test_a_service_suspended_before_its_expiry_shows_until_when_it_is_paid(alice, vps_plan):
    # "Stopped" is for expiry (the seed); an administrator's suspension does not hide that the
    # service is paid until August.
    service = f.service(
        alice,
        vps_plan,
        status=Status.SUSPENDED,
        suspended_by_admin=True,
        expires_at=datetime(2025, 8, 7, tzinfo=UTC),
        suspended_at=datetime(2025, 7, 1, 8, tzinfo=UTC),
    )

    assert expiration_text(_priced(service), NOW) == "Paid until 2025-08-07"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "expected"),
    [
        ("UTC", "Expires 2025-08-07"),
        ("Europe/Madrid", "Expires 2025-08-08"),
        ("America/New_York", "Expires 2025-08-07"),
    ],
)
def test_the_providers_time_zone_decides_the_date(time_zone, expected):
    provider = f.provider(name=f"Hosting in {time_zone}", time_zone=time_zone)
    owner = f.client(provider, f"owner@{time_zone.replace('/', '-').lower()}.test")
    plan = f.tariff(f.product_type(provider), prices={"month": "10.00"})
    service = f.service(owner, plan, expires_at=datetime(2025, 8, 7, 23, 30, tzinfo=UTC))

    assert expiration_text(_priced(service), NOW) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("period", "text"),
    [("day", "1.00 USD/day"), ("month", "10.00 USD/month"), ("year", "500 USD/year")],
)
def test_the_renew_cost_is_the_period_price_with_its_period(period, text, alice, vps_plan):
    service = f.service(alice, vps_plan, period=period)

    assert renew_cost_text(_priced(service)) == text


@pytest.mark.django_db
def test_the_renew_cost_includes_the_services_add_ons(alice, vps_plan):
    ram = f.addon(vps_plan, "ram", prices={"month": "2.00", "year": "20.00"}, included=1, minimum=1, maximum=64)
    ips = f.addon(vps_plan, "ipv4", prices={"month": "1.50", "year": "15.00"})
    os = f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}, "windows": {"month": "15.00", "year": "150.00"}})
    traffic = f.addon(vps_plan, "traffic", billing_type=BillingType.STATISTICS, overage_price="0.01", included=1000)
    service = f.service(alice, vps_plan, addons={ram: "3", ips: "2", traffic: "5000"})
    service.addons.create(addon=os, quantity=1, enum_item=os.items.get(code="windows"))
    yearly = f.service(alice, vps_plan, period="year", addons={ram: "3"})

    # 10.00 + (3 − 1 included) × 2.00 + 2 × 1.50 + 15.00 for Windows; traffic is billed as usage
    assert renew_cost_text(_priced(service)) == "32.00 USD/month"
    # 500 + 2 × 20.00
    assert renew_cost_text(_priced(yearly)) == "540 USD/year"


@pytest.mark.django_db
def test_a_daily_price_with_fractions_is_shown_to_the_cent(alice, vps_type):
    plan = f.tariff(vps_type, "Tiny", prices={"day": "0.3333"})
    service = f.service(alice, plan, period="day")

    assert renew_cost_text(_priced(service)) == "0.33 USD/day"


@pytest.mark.django_db
def test_the_widget_lists_running_and_stopped_services_soonest_expiry_first(alice, bob, vps_plan):
    later = f.service(alice, vps_plan, name="later", expires_at=datetime(2025, 9, 1, tzinfo=UTC))
    sooner = f.service(alice, vps_plan, name="sooner", expires_at=datetime(2025, 8, 1, tzinfo=UTC))
    stopped = f.service(alice, vps_plan, name="stopped", status=Status.SUSPENDED, suspended_by_client=True)
    f.service(alice, vps_plan, name="in cart", status=Status.ORDERED)
    f.service(alice, vps_plan, name="gone", status=Status.DELETED)
    f.service(bob, vps_plan, name="bob's")

    names = [s.name for s in active_services(alice)]

    assert names[:2] == [sooner.name, later.name]
    assert sorted(names) == sorted([later.name, sooner.name, stopped.name])
