"""N threads paying the same order at once charge it once (PostgreSQL, real row locks)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.orders import actions
from openbill.orders.models import OrderStatus

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
THREADS = 8


def run_together(target: Any, n: int) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # collected and asserted by the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_paying_the_same_order_from_many_threads_charges_once() -> None:
    provider = f.provider()
    plan = f.tariff(f.product_type(provider, "vds"), "VPS", prices={"month": "10.00"}, setup_fee="5.00")
    alice = f.client(provider, "alice@test.test", balance="100.00")
    order = actions.order_now(alice, actor=Actor.system(), now=NOW, tariff=plan.pk, period="month")

    results = run_together(lambda: actions.pay_order(order, actor=Actor.system(), now=NOW).status, THREADS)

    assert results == [OrderStatus.PAID] * THREADS
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("85.00")
    assert Expense.objects.count() == 2
    assert LedgerEntry.objects.filter(client=alice).count() == 3  # the top-up, setup, first period
    assert run_audit() == []
