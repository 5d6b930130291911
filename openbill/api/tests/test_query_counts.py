"""Every list endpoint makes the same number of queries for N and for 2N rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openbill.accounts.models import ApiToken
from openbill.billing.actions import post_entry
from openbill.billing.models import EntryKind
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.services import events
from openbill.services.choices import Status
from openbill.services.models import ServiceAddon

from .factories import rate_overage

pytestmark = pytest.mark.django_db


def queries(api: Any, url: str) -> int:
    api.get(url)  # warm-up: the token's last-used stamp, caches
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def assert_constant(api: Any, url: str, add: Callable[[int], None], n: int = 3) -> None:
    add(n)
    at_n = queries(api, url)
    add(n)
    at_2n = queries(api, url)
    assert at_n == at_2n, f"{url}: {at_n} queries for {n} rows, {at_2n} for {2 * n}"


@pytest.fixture
def rich_plan(vps_plan):
    ram = f.addon(vps_plan, "ram", prices={"month": "1", "year": "10"}, included=Decimal(1))
    disk = f.addon(vps_plan, "disk", prices={"month": "0.1"})
    os_addon = f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}, "windows": {"month": "15"}})
    return vps_plan, ram, disk, os_addon


def add_services(alice, rich_plan) -> Callable[[int], None]:
    plan, ram, disk, os_addon = rich_plan
    windows = os_addon.items.get(code="windows")

    def add(count: int) -> None:
        for i in range(count):
            service = f.service(alice, plan, name=f"vps-{i}", addons={ram: "4", disk: "20"})
            ServiceAddon.objects.create(service=service, addon=os_addon, enum_item=windows)
            f.service(alice, plan, name=f"stopped-{i}", status=Status.SUSPENDED, suspended_by_admin=True)

    return add


def test_services_list_queries_do_not_grow(alice_api, alice, rich_plan):
    assert_constant(alice_api, "/api/v1/services/", add_services(alice, rich_plan))


def test_filtered_services_list_queries_do_not_grow(alice_api, alice, rich_plan, vps_type):
    url = f"/api/v1/services/?status=active&product_type={vps_type.pk}&ordering=-name"
    assert_constant(alice_api, url, add_services(alice, rich_plan))


def test_active_services_widget_queries_do_not_grow(alice_api, alice, rich_plan):
    assert_constant(alice_api, "/api/v1/dashboard/active-services/", add_services(alice, rich_plan))


def test_overages_widget_queries_do_not_grow(alice_api, alice, vps_plan):
    traffic = f.addon(vps_plan, "traffic", billing_type="statistics", overage_price=Decimal("0.01"))

    def add(count: int) -> None:
        for _ in range(count):
            rate_overage(f.service(alice, vps_plan), traffic, "1.50", timezone.now())

    assert_constant(alice_api, "/api/v1/dashboard/overages/", add)


def test_history_queries_do_not_grow(alice_api, alice, alice_user, vps_plan):
    service = f.service(alice, vps_plan)
    actor = Actor.of_user(alice_user)

    def add(count: int) -> None:
        for _ in range(count):
            events.record(service, "note", actor=actor, now=timezone.now(), note=Text.verbatim("x"))

    assert_constant(alice_api, f"/api/v1/services/{service.pk}/history/", add)


def test_ledger_queries_do_not_grow(alice_api, alice, vps_plan):
    service = f.service(alice, vps_plan)
    made = [0]

    def add(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            post_entry(
                alice,
                amount=Decimal("-1"),
                kind=EntryKind.CHARGE,
                key=f"qc-{made[0]}",
                description=Text.verbatim("charge"),
                now=timezone.now() + timedelta(seconds=made[0]),
                service_id=service.pk,
            )

    assert_constant(alice_api, "/api/v1/ledger/", add)


def test_catalog_queries_do_not_grow(alice_api, vps_type):
    made = [0]

    def add(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            plan = f.tariff(vps_type, f"T{made[0]}", prices={"month": "1", "year": "10"})
            f.addon(plan, "ram", prices={"month": "1"})
            f.enum_addon(plan, "os", {"a": {"month": "1"}, "b": {"month": "2"}})
            plan.changeable_to.add(plan)
            f.parameter(f.product_type(vps_type.provider, "vds", name=f"P{made[0]}"), "hostname")

    assert_constant(alice_api, "/api/v1/catalog/tariffs/", add)
    assert_constant(alice_api, "/api/v1/catalog/product-types/", add)


def test_tokens_queries_do_not_grow(alice_api, alice_user):
    def add(count: int) -> None:
        for i in range(count):
            ApiToken.issue(alice_user, f"t{i}")

    assert_constant(alice_api, "/api/v1/tokens/", add)
