"""Rating tables to the cent: monthly and daily modes, sum and max, units, month boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.models import OverageRating

from .factories import ingest, record, traffic

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def _rate(provider, service, records, now=NOW):
    result = ingest(provider, records, now)
    assert result.rejected == []
    actions.rate_provider(provider, now=now)
    return {
        (r.addon.resource, r.period_start.isoformat()): (r.usage.normalize(), r.overage.normalize(), r.cost_amount)
        for r in OverageRating.objects.filter(service=service).select_related("addon")
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("aggregation", "rx", "tx", "unit", "usage", "overage", "cost"),
    [
        # sum of rx and tx, in GiB
        ("sum", "600", "500", "GiB", "1100", "100", "1.00"),
        ("sum", "400", "500", "GiB", "900", "0", "0.00"),
        ("sum", "1000", "0.5", "GiB", "1000.5", "0.5", "0.01"),  # 0.005 rounds half up, once
        ("sum", "1000", "0.4", "GiB", "1000.4", "0.4", "0.00"),
        # maximum of the two
        ("max", "600", "500", "GiB", "600", "0", "0.00"),
        ("max", "1234.56", "10", "GiB", "1234.56", "234.56", "2.35"),  # 2.3456
        # units convert to the add-on's GiB
        ("sum", "614400", "512000", "MiB", "1100", "100", "1.00"),
        ("sum", "1.5", "0", "TiB", "1536", "536", "5.36"),
        ("sum", str(1100 * 1024**3), "0", "bytes", "1100", "100", "1.00"),
    ],
)
def test_monthly_traffic_rating_table(provider, vps_plan, alice, aggregation, rx, tx, unit, usage, overage, cost):
    traffic(vps_plan, aggregation=aggregation)
    service = f.service(alice, vps_plan)
    at = datetime(2026, 3, 5, tzinfo=UTC)
    rated = _rate(
        provider,
        service,
        [record(service, "rx_bytes", at, rx, unit), record(service, "tx_bytes", at, tx, unit)],
    )
    assert rated == {("traffic", "2026-03-01"): (Decimal(usage), Decimal(overage), Decimal(cost))}


@pytest.mark.django_db
def test_daily_mode_rates_each_day_against_the_daily_limit(provider, vps_plan, alice):
    traffic(vps_plan, statistics_period="day", included=Decimal(10), overage_price=Decimal("0.5"))
    service = f.service(alice, vps_plan)
    day = datetime(2026, 3, 1, 6, tzinfo=UTC)
    rated = _rate(
        provider,
        service,
        [
            record(service, "rx_bytes", day, "7"),
            record(service, "tx_bytes", day, "5"),  # 12 GiB: 2 over → 1.00
            record(service, "rx_bytes", day + timedelta(days=1), "8"),  # under the limit
            record(service, "rx_bytes", day + timedelta(days=2), "10.5"),  # 0.5 over → 0.25
            record(service, "rx_bytes", day + timedelta(days=3), "10.01"),  # 0.005 → 0.01 (half up)
        ],
        now=datetime(2026, 3, 4, 18, 0, tzinfo=UTC),
    )
    assert rated == {
        ("traffic", "2026-03-01"): (Decimal(12), Decimal(2), Decimal("1.00")),
        ("traffic", "2026-03-02"): (Decimal(8), Decimal(0), Decimal("0.00")),
        ("traffic", "2026-03-03"): (Decimal("10.5"), Decimal("0.5"), Decimal("0.25")),
        ("traffic", "2026-03-04"): (Decimal("10.01"), Decimal("0.01"), Decimal("0.01")),
    }


@pytest.mark.django_db
def test_cpu_time_in_nanoseconds_rates_in_hours(provider, vps_plan, alice):
    f.addon(
        vps_plan,
        "cpu_time",
        name="CPU time",
        unit="hours",
        billing_type="statistics",
        included=Decimal(100),
        overage_price=Decimal("0.02"),
        metrics=["cpu_time"],
    )
    service = f.service(alice, vps_plan)
    at = datetime(2026, 3, 2, tzinfo=UTC)
    # 130.5 hours as nanoseconds and as seconds, in two buckets
    rated = _rate(
        provider,
        service,
        [
            record(service, "cpu_time", at, str(100 * 3600 * 10**9), "ns"),
            record(service, "cpu_time", at + timedelta(hours=1), str(int(30.5 * 3600)), "s"),
        ],
    )
    assert rated == {("cpu_time", "2026-03-01"): (Decimal("130.5"), Decimal("30.5"), Decimal("0.61"))}


@pytest.mark.django_db
def test_month_boundary_follows_the_providers_time_zone(vps_plan, alice):
    provider = alice.provider
    provider.time_zone = "Europe/Madrid"
    provider.save()
    traffic(vps_plan)
    service = f.service(alice, vps_plan)
    now = datetime(2026, 2, 2, 12, tzinfo=UTC)
    rated = _rate(
        provider,
        service,
        [
            # 22:30 UTC on 31 January is 23:30 in Madrid: January
            record(service, "rx_bytes", datetime(2026, 1, 31, 22, 30, tzinfo=UTC), "1100"),
            # 23:30 UTC on 31 January is 00:30 on 1 February in Madrid: February
            record(service, "rx_bytes", datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "1050"),
        ],
        now=now,
    )
    assert rated == {
        ("traffic", "2026-01-01"): (Decimal(1100), Decimal(100), Decimal("1.00")),
        ("traffic", "2026-02-01"): (Decimal(1050), Decimal(50), Decimal("0.50")),
    }


@pytest.mark.django_db
def test_usage_resets_on_the_first_of_the_month(provider, vps_plan, alice):
    traffic(vps_plan)
    service = f.service(alice, vps_plan)
    ingest(
        provider,
        [record(service, "rx_bytes", datetime(2026, 2, 27, tzinfo=UTC), "1500")],
        datetime(2026, 2, 28, tzinfo=UTC),
    )
    rated = _rate(
        provider,
        service,
        [record(service, "rx_bytes", datetime(2026, 3, 1, tzinfo=UTC), "800")],
        now=datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert rated[("traffic", "2026-02-01")] == (Decimal(1500), Decimal(500), Decimal("5.00"))
    assert rated[("traffic", "2026-03-01")] == (Decimal(800), Decimal(0), Decimal("0.00"))


@pytest.mark.django_db
def test_a_daily_period_closes_some_days_after_it_ends(provider, vps_plan, alice, settings):
    settings.METERING_LATE_DAYS = 2
    traffic(vps_plan, statistics_period="day", included=Decimal(10))
    service = f.service(alice, vps_plan)
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    result = ingest(
        provider,
        [
            record(service, "rx_bytes", datetime(2026, 3, 18, tzinfo=UTC), "1", rid="open"),
            record(service, "rx_bytes", datetime(2026, 3, 17, 23, tzinfo=UTC), "1", rid="closed"),
        ],
        now,
    )
    assert result.accepted == 1
    assert [(r["id"], r["reason"]) for r in result.rejected] == [
        ("closed", "The reporting period of this bucket is closed.")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mib", "stored"),
    [
        ("1", "0.000976562"),  # 0.0009765625 GiB: a half at the tenth place goes to the even digit
        ("3", "0.002929688"),  # 0.0029296875 GiB
        ("1.5", "0.001464844"),  # 0.00146484375 GiB: more than a half
    ],
)
def test_usage_is_stored_to_nine_places_half_to_even(provider, vps_plan, alice, mib, stored):
    traffic(vps_plan)
    service = f.service(alice, vps_plan)
    rated = _rate(provider, service, [record(service, "rx_bytes", datetime(2026, 3, 5, tzinfo=UTC), mib, "MiB")])
    assert rated == {("traffic", "2026-03-01"): (Decimal(stored).normalize(), Decimal(0), Decimal("0.00"))}


@pytest.mark.django_db
def test_rating_again_writes_only_what_changed(provider, vps_plan, alice):
    traffic(vps_plan, maximum=Decimal(2000))
    within, over = f.service(alice, vps_plan), f.service(alice, vps_plan)
    at = datetime(2026, 3, 5, tzinfo=UTC)
    ingest(provider, [record(within, "rx_bytes", at, "10"), record(over, "rx_bytes", at, "1500")], NOW)
    first = actions.rate_provider(provider, now=NOW)
    assert (first.written, first.services) == (2, {over.pk})
    again = actions.rate_provider(provider, now=NOW)
    assert again.written == 0
    assert again.services == {over.pk}  # its 5.00 is still due until it is charged

    ingest(provider, [record(within, "tx_bytes", at, "5"), record(over, "tx_bytes", at, "600")], NOW)
    third = actions.rate_provider(provider, now=NOW)
    assert (third.written, third.services) == (2, {over.pk})
    ratings = {r.service_id: r for r in OverageRating.objects.all()}
    assert (ratings[within.pk].usage, ratings[within.pk].cost_amount, ratings[within.pk].due) == (15, 0, False)
    over_rating = ratings[over.pk]
    assert (over_rating.usage, over_rating.overage, over_rating.cost_amount) == (2100, 1100, Decimal("11.00"))
    assert (over_rating.over_maximum, over_rating.due) == (True, True)


@pytest.mark.django_db
def test_only_the_named_services_are_rated(provider, vps_plan, alice):
    traffic(vps_plan)
    one, other = f.service(alice, vps_plan), f.service(alice, vps_plan)
    at = datetime(2026, 3, 5, tzinfo=UTC)
    ingest(provider, [record(one, "rx_bytes", at, "1200"), record(other, "rx_bytes", at, "1300")], NOW)
    run = actions.rate_provider(provider, now=NOW, service_ids=[one.pk])
    assert (run.written, run.services) == (1, {one.pk})
    assert list(OverageRating.objects.values_list("service_id", "cost_amount")) == [(one.pk, Decimal("2.00"))]
