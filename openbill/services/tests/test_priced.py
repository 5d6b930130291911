"""A list page's rows (``selectors.priced``) carry their add-on lines, loaded for the whole page in
one query, and price exactly as the rows of ``with_pricing`` do."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openbill.core.tests import factories as f
from openbill.services import selectors
from openbill.services.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(alice: Any, vps_plan: Any) -> list[Service]:
    ram = f.addon(vps_plan, "ram", prices={"month": "2.00"})
    disk = f.addon(vps_plan, "disk", prices={"month": "0.50"})
    f.service(alice, vps_plan, name="bare")
    f.service(alice, vps_plan, name="one", addons={ram: "2"})
    f.service(alice, vps_plan, name="two", addons={ram: "4", disk: "10"})
    return list(Service.objects.filter(client=alice).order_by("id"))


def test_a_pages_lines_are_the_lines_the_orm_loads(alice: Any, rows: list[Service], vps_plan: Any) -> None:
    """``addon_lines_of`` reads the lines with a statement of its own: the same lines, in the
    same order, each field of the same value and type (a decimal's places on SQLite too), as
    ``addons.all()``; a service without lines has none."""
    os_addon = f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}, "windows": {"month": "15.00"}})
    windows = os_addon.items.get(code="windows")  # type: ignore[attr-defined]
    fractional = f.addon(vps_plan, "traffic", prices={"month": "0.10"})
    extra = f.service(alice, vps_plan, name="three", addons={fractional: "1.25"})
    extra.addons.create(addon=os_addon, enum_item=windows, quantity=1)
    services = [*rows, extra]
    loaded = selectors.addon_lines_of([service.pk for service in services])
    for service in services:
        expected = list(service.addons.order_by("id"))
        assert [line.pk for line in loaded[service.pk]] == [line.pk for line in expected]
        for got, want in zip(loaded[service.pk], expected, strict=True):
            for field in type(want)._meta.concrete_fields:
                value, wanted = getattr(got, field.attname), getattr(want, field.attname)
                assert (value, type(value), str(value)) == (wanted, type(wanted), str(wanted)), field.attname
    assert loaded[rows[0].pk] == []
    assert selectors.addon_lines_of([]) == {}


def test_the_pages_lines_come_in_one_query_and_each_row_reads_its_own(alice: Any, rows: list[Service]) -> None:
    selectors.priced(rows[:0], alice)  # the catalog in memory first: its loading is not the point
    with CaptureQueriesContext(connection) as queries:
        priced = selectors.priced(rows, alice)
        lines = {service.name: [(line.addon.resource, line.quantity) for line in service.addon_lines()] for service in priced}
        amounts = [selectors.renewal_amount(service) for service in priced]
    assert sum("services_serviceaddon" in q["sql"] for q in queries.captured_queries) == 1
    assert lines == {"bare": [], "one": [("ram", 2)], "two": [("ram", 4), ("disk", 10)]}
    full = {s.pk: selectors.renewal_amount(s) for s in selectors.client_services(alice)}
    assert amounts == [full[s.pk] for s in priced]


def test_a_service_not_priced_for_a_page_reads_its_lines_itself(alice: Any, rows: list[Service]) -> None:
    service = Service.objects.get(pk=rows[2].pk)
    assert [line.addon.resource for line in service.addon_lines()] == ["ram", "disk"]


def test_renew_costs_match_each_rows_own_and_are_worked_out_once_per_configuration(
    alice: Any, vps_plan: Any, rows: list[Service], monkeypatch: Any
) -> None:
    ram = vps_plan.addons.get(resource="ram")
    f.service(alice, vps_plan, name="one again", addons={ram: "2"})  # the configuration of "one"
    priced = selectors.priced(list(Service.objects.filter(client=alice).order_by("id")), alice)
    expected = [(selectors.renewal_amount(s), selectors.renew_cost_text(s)) for s in priced]
    worked_out: list[Any] = []
    real = selectors.renewal_amount
    monkeypatch.setattr(selectors, "renewal_amount", lambda s, *a: worked_out.append(s.name) or real(s, *a))
    costs = selectors.RenewCosts()
    assert [costs(s) for s in priced] == expected
    assert sorted(worked_out) == ["bare", "one", "two"]
    assert expected[1] != expected[2] and expected[1] == expected[3]
