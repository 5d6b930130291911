"""The Statistics tab, the Service overage section, the widget rows and the usage API for clients."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.selectors import overage_widget_rows

from .factories import ingest, record, traffic

# Mid-month, so that "the 3rd" and "yesterday" are in the current reporting month.
FROZEN = "2026-03-20 12:00:00+00:00"


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield timezone.now()


@pytest.fixture
def server(provider, vps_plan, alice, frozen):
    traffic(vps_plan)
    service = f.service(alice, vps_plan, name="Alice VPS")
    third = frozen.replace(day=3, hour=0)
    ingest(
        provider,
        [
            record(service, "rx_bytes", third, "900"),
            record(service, "tx_bytes", third + timedelta(days=1), "350"),  # passes 1000 on the 4th
            record(service, "rx_bytes", frozen - timedelta(hours=2), "10"),
        ],
        frozen,
    )
    actions.meter(now=frozen)
    return service


def login(client, user):
    client.force_login(user)
    return client


def test_statistics_tab_shows_consumption_by_day_with_overage_days(client, alice_user, server):
    response = login(client, alice_user).get(f"/services/{server.pk}/statistics/")
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-testid="usage-chart"' in html
    assert html.count('data-overage="1"') == 2  # the 4th (the month passes 1000 GiB) and today
    assert "2026-03-01 — 2026-03-20" in html
    assert "Total" in html and "1260 GiB" in html
    # Overage by month: included, total consumption, overage, cost
    assert "1000 GiB" in html and "260 GiB" in html and "2.60 USD" in html


def test_the_chart_draws_in_spanish_with_numbers_for_the_browser_and_words_for_people(client, alice_user, server):
    alice_user.language = "es"
    alice_user.save()
    html = login(client, alice_user).get(f"/services/{server.pk}/statistics/").content.decode()

    charts = re.findall(r"<svg[^>]*usage-chart.*?</svg>", html, flags=re.S)
    assert charts
    for svg in charts:
        root = ElementTree.fromstring(svg)
        geometry = [root.get("viewBox", "")] + [
            node.get(name, "")
            for node in root.iter()
            for name in ("x", "y", "width", "height", "x1", "y1", "x2", "y2")
            if node.get(name) is not None
        ]
        # A browser draws only numbers with a decimal point ("Expected length" otherwise).
        for value in geometry:
            for number in value.split():
                float(number)
        assert any("." in value for value in geometry)  # fractional bar positions do occur
        bars = root.findall("{http://www.w3.org/2000/svg}rect") or root.findall("rect")
        assert len(bars) == 20
    # What people read is Spanish: the cost with a decimal comma.
    assert "2,60 USD" in html and "2.60 USD" not in html


def test_the_chart_has_a_scale_dates_on_its_axis_and_a_tooltip_per_bar_in_any_language(client, alice_user, server):
    alice_user.language = "es"
    alice_user.save()
    client.cookies["django_language"] = "es"
    html = login(client, alice_user).get(f"/services/{server.pk}/statistics/").content.decode()

    scale = re.search(r'data-testid="chart-scale"[^>]*>(.*?)</div>', html, re.S)
    dates = re.search(r'data-testid="chart-dates"[^>]*>(.*?)</div>', html, re.S)
    assert scale and dates
    # The peak day used 1000 GiB or less (its total is 1260 GiB over 20 days): the top is round.
    assert re.findall(r"<span>([^<]*)</span>", scale.group(1))[-1] == "0 GiB"
    assert re.findall(r"<span>([^<]*)</span>", dates.group(1)) == ["2026-03-01", "2026-03-11", "2026-03-20"]
    titles = re.findall(r"<rect [^>]*><title>([^<]*)</title>", html)
    assert len(titles) == 20 and titles[0].startswith("2026-03-01: ")
    # SVG coordinates keep the dot in Spanish (a comma makes the bars invalid).
    for value in re.findall(r'<rect x="([^"]*)" y="([^"]*)" width="([^"]*)" height="([^"]*)"', html):
        assert all(re.fullmatch(r"\d+(\.\d+)?", number) for number in value), value


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("preset=today", "2026-03-20 — 2026-03-20"),
        ("preset=yesterday", "2026-03-19 — 2026-03-19"),
        ("preset=week", "2026-03-16 — 2026-03-20"),
        ("preset=last_week", "2026-03-09 — 2026-03-15"),
        ("preset=last_month", "2026-02-01 — 2026-02-28"),
        ("preset=year", "2026-01-01 — 2026-03-20"),
        ("preset=custom&start=2026-03-02&end=2026-03-05", "2026-03-02 — 2026-03-05"),
    ],
)
def test_statistics_presets(client, alice_user, server, query, shown):
    response = login(client, alice_user).get(f"/services/{server.pk}/statistics/?{query}")
    assert shown in response.content.decode()


def test_a_custom_period_ending_before_it_starts_is_a_form_error(client, alice_user, server):
    response = login(client, alice_user).get(
        f"/services/{server.pk}/statistics/?preset=custom&start=2026-03-10&end=2026-03-01"
    )
    assert "The period ends before it starts." in response.content.decode()


def test_the_overage_section_lists_each_addon_for_the_period(client, alice_user, server):
    response = login(client, alice_user).get(f"/services/{server.pk}/overage/?period=2026-03")
    html = response.content.decode()
    assert 'data-testid="overage-section"' in html
    assert "Traffic" in html and "1260 GiB" in html and "260 GiB" in html
    assert 'data-testid="overage-total">2.60 USD<' in html

    empty = client.get(f"/services/{server.pk}/overage/?period=2026-02")
    assert 'data-testid="overage-total">0.00 USD<' in empty.content.decode()
    assert client.get(f"/services/{server.pk}/overage/?period=march").status_code == 400


def test_another_clients_service_is_not_found(client, bob_user, server):
    login(client, bob_user)
    assert client.get(f"/services/{server.pk}/statistics/").status_code == 404
    assert client.get(f"/services/{server.pk}/overage/").status_code == 404


def test_a_domain_has_no_statistics_tab(client, alice_user, alice, provider, frozen):
    domain = f.service(alice, f.tariff(f.product_type(provider, "domain"), ".com"))
    assert login(client, alice_user).get(f"/services/{domain.pk}/statistics/").status_code == 404


def test_widget_rows_carry_the_current_periods_cost_and_the_overage_link(alice, bob, server, frozen):
    rows = overage_widget_rows(alice, frozen)
    assert [(r["service"].pk, r["cost"], r["currency"]) for r in rows] == [(server.pk, Decimal("2.60"), "USD")]
    assert rows[0]["url"] == f"/services/{server.pk}/overage/?period=2026-03"
    assert overage_widget_rows(bob, frozen) == []
    # next month, nothing yet
    assert overage_widget_rows(alice, frozen + timedelta(days=15)) == []


def test_the_dashboard_widget_shows_the_service_with_its_cost(client, alice_user, server):
    html = login(client, alice_user).get("/").content.decode()
    assert f'href="/services/{server.pk}/overage/?period=2026-03">2.60 USD<' in html


def test_widget_rows_take_the_same_queries_for_n_and_2n_services(provider, vps_plan, alice, frozen):
    traffic(vps_plan)

    def add(count):
        services = [f.service(alice, vps_plan) for _ in range(count)]
        ingest(provider, [record(s, "rx_bytes", frozen - timedelta(hours=1), "1100") for s in services], frozen)
        actions.rate_provider(provider, now=frozen)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            rows = overage_widget_rows(alice, frozen)
        return len(ctx.captured_queries), len(rows)

    add(3)
    small = queries()
    add(3)
    large = queries()
    assert (small[1], large[1]) == (3, 6)
    assert small[0] == large[0]


# --- the same data in the API -------------------------------------------------------------------
def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_gives_statistics_by_day_and_the_overage_section(alice_user, server):
    api = api_as(alice_user)
    stats = api.get(f"/api/v1/services/{server.pk}/statistics/?start=2026-03-03&end=2026-03-05").json()
    assert stats["addons"][0]["days"] == [
        {"on": "2026-03-03", "usage": "900", "overage": False},
        {"on": "2026-03-04", "usage": "350", "overage": True},
        {"on": "2026-03-05", "usage": "0", "overage": False},
    ]
    overage = api.get(f"/api/v1/services/{server.pk}/overage/?period=2026-03").json()
    assert overage["total"] == "2.60"
    assert overage["addons"][0] | {} == {
        "addon": server.tariff.addons.get().pk,
        "name": "Traffic",
        "unit": "GiB",
        "reporting_period": "month",
        "included": "1000",
        "used": "1260",
        "overage": "260",
        "cost": "2.60",
        "over_maximum": False,
    }


def test_the_api_answers_404_for_another_clients_service_and_400_for_bad_dates(bob_user, alice_user, server):
    assert api_as(bob_user).get(f"/api/v1/services/{server.pk}/statistics/").status_code == 404
    assert api_as(bob_user).get(f"/api/v1/services/{server.pk}/overage/").status_code == 404
    bad = api_as(alice_user).get(f"/api/v1/services/{server.pk}/statistics/?start=2026-03-05&end=2026-03-01")
    assert bad.status_code == 400 and "end" in bad.json()
    assert api_as(alice_user).get(f"/api/v1/services/{server.pk}/overage/?period=2026-13").status_code == 400


# One rule for the page and the API: a period of at most 366 days, both ends included.
@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        ("2025-03-20", "2026-03-20", True),  # 366 days
        ("2025-03-19", "2026-03-20", False),  # 367 days
        ("2024-01-01", "2024-12-31", True),  # a leap year: 366 days
    ],
)
def test_the_page_and_the_api_allow_the_same_longest_period(client, alice_user, server, start, end, allowed):
    page = login(client, alice_user).get(f"/services/{server.pk}/statistics/?preset=custom&start={start}&end={end}")
    api = api_as(alice_user).get(f"/api/v1/services/{server.pk}/statistics/?start={start}&end={end}")

    assert ("Choose at most 366 days." not in page.content.decode()) is allowed
    assert api.status_code == (200 if allowed else 400)
    if allowed:
        assert (api.json()["start"], api.json()["end"]) == (start, end)
    else:
        assert api.json()["end"] == ["Choose at most 366 days."]


def test_the_api_refuses_a_start_too_far_back_instead_of_cutting_the_period(alice_user, server):
    # No end: the period would run to today (2026-03-20), 446 days.
    response = api_as(alice_user).get(f"/api/v1/services/{server.pk}/statistics/?start=2025-01-01")

    assert response.status_code == 400
    assert response.json()["end"] == ["Choose at most 366 days."]


@pytest.mark.parametrize(
    ("start", "end", "field"), [("1969-12-31", "1970-01-05", "start"), ("2999-12-01", "3000-01-01", "end")]
)
def test_the_page_and_the_api_refuse_the_same_days_out_of_range(client, alice_user, server, start, end, field):
    message = "Choose a day between 1970-01-01 and 2999-12-31."
    page = login(client, alice_user).get(f"/services/{server.pk}/statistics/?preset=custom&start={start}&end={end}")
    api = api_as(alice_user).get(f"/api/v1/services/{server.pk}/statistics/?start={start}&end={end}")

    assert message in page.content.decode()
    assert api.status_code == 400
    assert api.json()[field] == [message]
