"""The set-based rating leaves exactly what a plain per-service reference computes, and the demo
shows an overage."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from openbill.catalog.models import Addon
from openbill.clients.models import Client
from openbill.core import demo
from openbill.core.money import round_amount
from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.models import OverageRating, UsageRecord
from openbill.metering.selectors import overage_widget_rows
from openbill.metering.units import convert

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def reference(addon: Addon, service_id: int, start, end) -> tuple[Decimal, Decimal]:
    """Usage and cost of one add-on of one service over local dates [start, end), row by row."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in UsageRecord.objects.filter(service_id=service_id, on__gte=start, on__lt=end):
        totals[row.resource] += row.quantity
    unit = "bytes" if addon.unit == "GiB" else "seconds"
    values = [convert(totals[m], unit, addon.unit) for m in addon.metrics]
    usage = max(values) if addon.aggregation == "max" else sum(values, Decimal(0))
    overage = max(Decimal(0), usage - addon.included)
    return usage.quantize(Decimal("0.000000001")), round_amount(overage * addon.overage_price, "USD")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_based_rating_equals_the_per_service_reference(provider, alice, vps_type, seed):
    rnd = random.Random(seed)
    monthly = f.tariff(vps_type, "M")
    daily = f.tariff(vps_type, "D")
    traffic = f.addon(
        monthly,
        "traffic",
        unit="GiB",
        billing_type="statistics",
        included=Decimal(100),
        overage_price=Decimal("0.013"),
        metrics=["rx_bytes", "tx_bytes"],
        aggregation=rnd.choice(["sum", "max"]),
    )
    cpu = f.addon(
        daily,
        "cpu",
        unit="hours",
        billing_type="statistics",
        statistics_period="day",
        included=Decimal(5),
        overage_price=Decimal("0.07"),
        metrics=["cpu_time"],
    )
    services = [f.service(alice, rnd.choice([monthly, daily])) for _ in range(12)]
    records = []
    for i in range(400):
        service = rnd.choice(services)
        # daily add-ons take records for today and the three late days: 84 hours back from noon
        hours = 24 * 6 if service.tariff_id == monthly.pk else 83
        at = NOW - timedelta(hours=rnd.randint(1, hours), minutes=rnd.randint(0, 59))
        if service.tariff_id == monthly.pk:
            records.append(
                {
                    "id": str(i),
                    "service": service.pk,
                    "resource": rnd.choice(["rx_bytes", "tx_bytes"]),
                    "at": at.isoformat(),
                    "quantity": str(rnd.randint(0, 4000)),
                    "unit": "MiB",
                }
            )
        else:
            records.append(
                {
                    "id": str(i),
                    "service": service.pk,
                    "resource": "cpu_time",
                    "at": at.isoformat(),
                    "quantity": str(rnd.randint(0, 7200)),
                    "unit": "s",
                }
            )
    assert actions.ingest(provider, records, now=NOW).rejected == []
    actions.rate_provider(provider, now=NOW)

    stored = {
        (r.service_id, r.addon_id, r.period_start): (r.usage, r.cost_amount)
        for r in OverageRating.objects.filter(service__in=services)
    }
    expected = {}
    for service in services:
        if service.tariff_id == monthly.pk:
            start = NOW.date().replace(day=1)
            usage, cost = reference(traffic, service.pk, start, start + timedelta(days=31))
            if usage:
                expected[(service.pk, traffic.pk, start)] = (usage, cost)
        else:
            for back in range(4):  # the open days: today and the three late days
                day = NOW.date() - timedelta(days=back)
                usage, cost = reference(cpu, service.pk, day, day + timedelta(days=1))
                if usage:
                    expected[(service.pk, cpu.pk, day)] = (usage, cost)
    assert stored == expected


@pytest.mark.django_db
def test_the_demo_shows_alices_web_server_with_an_overage():
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    demo.load(now)
    alice = Client.objects.get(email="alice@demo.test")
    rows = overage_widget_rows(alice, now)
    assert [(r["service"].name, r["cost"]) for r in rows] == [("Web server", Decimal("5.00"))]
