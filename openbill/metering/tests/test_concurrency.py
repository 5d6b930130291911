"""Concurrency on PostgreSQL: overlapping ingestion and overlapping meter runs do the work once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, ExpenseKind
from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.models import UsageRecord

from .factories import record, traffic

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 5, tzinfo=UTC)


def together(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``count`` threads released at the same moment; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_by_four_callers_at_once_is_stored_once(provider, vps_plan, alice):
    traffic(vps_plan)
    server = f.service(alice, vps_plan)
    batch = [record(server, "rx_bytes", DAY, "1", rid=f"r{i}") for i in range(2000)]

    results = together(4, lambda: actions.ingest(provider, batch, now=NOW))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.accepted for r in results) == 2000
    assert sum(r.duplicates for r in results) == 6000
    assert all(r.rejected == [] for r in results)
    assert UsageRecord.objects.count() == 2000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_meter_runs_charge_each_increment_once(provider, vps_plan, alice):
    traffic(vps_plan)
    servers = [f.service(alice, vps_plan) for _ in range(5)]
    actions.ingest(provider, [record(s, "rx_bytes", DAY, "1250") for s in servers], now=NOW)

    results = together(4, lambda: actions.meter(now=NOW))

    assert not [r for r in results if isinstance(r, Exception)], results
    charges = Expense.objects.filter(kind=ExpenseKind.OVERAGE)
    assert sorted(charges.values_list("service_id", "amount")) == sorted((s.pk, Decimal("2.50")) for s in servers)
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("87.50")
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_settlements_of_one_service_charge_once(provider, vps_plan, alice):
    traffic(vps_plan)
    server = f.service(alice, vps_plan)
    actions.ingest(provider, [record(server, "rx_bytes", DAY, "1333")], now=NOW)
    actions.rate_provider(provider, now=NOW)

    results = together(6, lambda: actions.settle_service(server.pk, now=NOW))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.charged for r in results) == [Decimal(0)] * 5 + [Decimal("3.33")]
    assert list(Expense.objects.filter(service=server).values_list("amount", flat=True)) == [Decimal("3.33")]
