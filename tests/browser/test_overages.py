"""Overage in a real browser: usage ingested past the included traffic shows in the widget with
its cost; the cost opens the Service overage section; the Statistics tab draws the chart."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from openbill.core.formats import format_month
from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.models import ProviderToken

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def test_usage_past_the_included_traffic_shows_in_the_widget_the_overage_section_and_the_chart(
    live_server: Any, page: Page, provider: Any, vps_plan: Any, alice: Any, alice_user: Any
) -> None:
    f.addon(
        vps_plan,
        "traffic",
        name="Traffic",
        unit="GiB",
        billing_type="statistics",
        included=Decimal(1000),
        overage_price=Decimal("0.01"),
        metrics=["rx_bytes", "tx_bytes"],
    )
    server = f.service(alice, vps_plan, name="Alice VPS")
    now = timezone.now()

    # The provider's meter reports 1,250 GiB received and 100,000 MiB (97.65625 GiB) sent.
    _token, raw = ProviderToken.issue(provider, "meter")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)  # the provider is on UTC
    bucket = max(now - timedelta(minutes=30), month_start).isoformat()
    response = api.post(
        "/api/v1/usage/",
        {
            "records": [
                {"id": "m-1", "service": server.pk, "resource": "rx_bytes", "at": bucket, "quantity": "1250"},
                {
                    "id": "m-2",
                    "service": server.pk,
                    "resource": "tx_bytes",
                    "at": bucket,
                    "quantity": "100000",
                    "unit": "MiB",
                },
            ]
        },
        format="json",
    )
    assert response.json()["accepted"] == 2
    actions.meter(now=timezone.now(), collect=False)
    # 347.65625 GiB over at 0.01 = 3.4765625 → 3.48 USD

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    widget = page.get_by_test_id("overages")
    row = widget.locator(f'tr[data-service-id="{server.pk}"] td')
    expect(row).to_have_count(4)
    expect(row.nth(0)).to_have_text(str(server.pk))
    expect(row.nth(1)).to_have_text("Alice VPS")
    expect(row.nth(3)).to_have_text("3.48 USD")

    row.nth(3).get_by_role("link").click()
    expect(page.get_by_test_id("overage-section")).to_be_visible()
    expect(page.get_by_test_id("overage-period")).to_have_text(format_month(now, "en"))  # "December 2026"
    cells = page.get_by_test_id("overage-section").locator("tbody tr td")
    expect(cells).to_have_text(["Traffic", "1000 GiB", "1347.66 GiB", "347.66 GiB", "3.48 USD"])
    expect(page.get_by_test_id("overage-total")).to_have_text("3.48 USD")

    page.get_by_role("link", name="Statistics", exact=True).click()
    chart = page.get_by_test_id("usage-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect[data-overage]")).to_have_count(1)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
