"""A lapsed service is extended from the moment it is paid: the period start shown with the price
(then "now") is in the past by the time the client confirms, and still counts as now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.urls import reverse

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.core.tests import factories as f
from openbill.orders.tests.test_api import api_for
from openbill.orders.tests.test_views import browser_for
from openbill.services.choices import Status, SuspendReason
from openbill.services.models import Service

QUOTED = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
CONFIRMED = QUOTED + timedelta(minutes=2)


def lapsed(alice: Any, catalog: Any) -> Service:
    return f.service(
        alice,
        catalog["plan"],
        status=Status.SUSPENDED,
        expires_at=datetime(2025, 3, 1, tzinfo=UTC),
        suspended_expired=True,
        addons={catalog["ram"]: "1"},
    )


def assert_extended_once_from(service: Service, alice: Any, start: datetime) -> None:
    service.refresh_from_db()
    assert service.expires_at == start + (datetime(2025, 4, 20, tzinfo=UTC) - datetime(2025, 3, 20, tzinfo=UTC))
    assert SuspendReason.EXPIRED not in service.suspend_reasons
    expense = Expense.objects.get(service=service)
    assert (expense.amount, expense.period_start) == (Decimal("10.00"), start)
    assert list(LedgerEntry.objects.filter(service=service).values_list("amount", flat=True)) == [Decimal("-10.00")]
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00")
    assert run_audit() == []


def test_a_lapsed_service_is_extended_from_its_page(alice: Any, alice_user: Any, vps_catalog: Any) -> None:
    service = lapsed(alice, vps_catalog)
    browser = browser_for(alice_user)
    url = reverse("clientarea:service_extend", args=[service.pk])
    with time_machine.travel(QUOTED, tick=False):
        page = browser.get(url).content.decode()
    start = page.split('name="expected_start" value="', 1)[1].split('"', 1)[0]
    with time_machine.travel(CONFIRMED, tick=False):
        response = browser.post(url, {"period": "month", "expected_start": start})
    assert response.status_code == 302
    assert response["Location"] == reverse("clientarea:service", args=[service.pk])
    assert_extended_once_from(service, alice, CONFIRMED)


def test_a_lapsed_service_is_extended_through_the_api(alice: Any, alice_user: Any, vps_catalog: Any) -> None:
    service = lapsed(alice, vps_catalog)
    api = api_for(alice_user)
    with time_machine.travel(QUOTED, tick=False):
        quote = api.post(f"/api/v1/services/{service.pk}/renew/quote/", {"period": "month"}, format="json")
    assert quote.status_code == 200
    with time_machine.travel(CONFIRMED, tick=False):
        renewed = api.post(
            f"/api/v1/services/{service.pk}/renew/",
            {"period": "month", "expected_start": quote.json()["period_start"]},
            format="json",
        )
    assert renewed.status_code == 200, renewed.json()
    assert renewed.json()["charged"] is True
    assert_extended_once_from(service, alice, CONFIRMED)


def test_a_start_in_the_future_still_must_match_a_running_service(
    alice: Any, alice_user: Any, vps_catalog: Any
) -> None:
    # A running service continues from its expiry: a stale quote is refused, nothing charged.
    service = f.service(
        alice, vps_catalog["plan"], expires_at=datetime(2025, 4, 10, tzinfo=UTC), addons={vps_catalog["ram"]: "1"}
    )
    api = api_for(alice_user)
    with time_machine.travel(CONFIRMED, tick=False):
        refused = api.post(
            f"/api/v1/services/{service.pk}/renew/",
            {"period": "month", "expected_start": "2025-04-01T00:00:00Z"},
            format="json",
        )
    assert refused.status_code == 400
    assert not Expense.objects.filter(service=service).exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
