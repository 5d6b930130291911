"""The list pages make the same number of queries for N and 2N rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openbill.billing.actions import post_entry
from openbill.billing.models import EntryKind
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.services import events
from openbill.services.choices import Status

pytestmark = pytest.mark.django_db


def queries(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def add_services(alice: Any, vps_plan: Any) -> Any:
    """Services with everything the pages read: add-ons with prices, an enumeration, parameters."""
    ram = f.addon(vps_plan, "ram", unit="GB", prices={"month": "2.00", "day": "0.10", "year": "20.00"})
    os = f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}, "windows": {"month": "15.00"}})
    f.parameter(vps_plan.product_type, "hostname")
    statuses = [Status.ACTIVE, Status.SUSPENDED, Status.ORDERED]

    def add(count: int) -> None:
        for number in range(count):
            status = statuses[number % 3]
            service = f.service(
                alice,
                vps_plan,
                status=status,
                period=["month", "day", "year"][number % 3],
                addons={ram: "2"},
                parameters={"hostname": f"h{number}.test"},
                suspended_by_client=status == Status.SUSPENDED,
                operation="reboot" if number % 4 == 0 and status == Status.ACTIVE else "",
            )
            service.addons.create(addon=os, enum_item=os.items.get(code="windows"))

    return add


@pytest.mark.parametrize("url", ["/", "/services/", "/services/?status=active&ordering=-expires_at"])
def test_page_queries_do_not_grow_with_the_number_of_services(
    alice_http: HttpClient, add_services: Any, url: str
) -> None:
    add_services(6)
    queries(alice_http, url)  # the first page after a catalog change loads the catalog (catalog.selectors)
    small = queries(alice_http, url)
    add_services(6)
    large = queries(alice_http, url)
    assert small == large


def test_history_queries_do_not_grow_with_the_number_of_events(
    alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    service = f.service(alice, vps_plan)
    url = f"/services/{service.pk}/history/"

    def add(count: int) -> None:
        for _ in range(count):
            events.record(
                service, "status", actor=Actor.system(), now=timezone.now(), from_status="active", to_status="suspended"
            )

    add(5)
    small = queries(alice_http, url)
    add(5)
    assert queries(alice_http, url) == small


def test_finances_queries_do_not_grow_with_the_ledger(alice: Any, alice_http: HttpClient, vps_plan: Any) -> None:
    service = f.service(alice, vps_plan)

    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            post_entry(
                alice,
                amount=-1,
                kind=EntryKind.CHARGE,
                key=f"q:{number}",
                description=Text.verbatim("charge"),
                now=timezone.now(),
                service_id=service.pk,
            )

    add(0, 5)
    small = queries(alice_http, "/finances/")
    add(5, 5)
    assert queries(alice_http, "/finances/") == small
