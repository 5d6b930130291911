"""Money under concurrency (PostgreSQL): racing debits never pass the credit limit, and racing
writers of one business event enter it once. Threads start together at a barrier."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from openbill.billing.actions import ledger_sum, post_entry
from openbill.billing.models import EntryKind, LedgerEntry
from openbill.clients.models import Client
from openbill.core.errors import InsufficientFunds
from openbill.core.texts import Text

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
THREADS = 8


def _race(work):
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def runner(i: int) -> None:
        try:
            barrier.wait()
            outcome = work(i)
        except InsufficientFunds:
            outcome = "refused"
        except Exception as exc:  # pragma: no cover - reported in the assertion
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_debits_never_take_the_balance_below_the_credit_limit(alice):
    def debit(i: int) -> str:
        post_entry(
            alice,
            amount=Decimal("-30"),
            kind=EntryKind.CHARGE,
            key=f"race:{i}",
            description=Text.verbatim("race"),
            now=NOW,
        )
        return "charged"

    outcomes = _race(debit)

    client = Client.objects.get(pk=alice.pk)
    assert outcomes == Counter({"charged": 3, "refused": 5})
    assert client.balance_amount == Decimal("10.00") == ledger_sum(client)
    afters = list(LedgerEntry.objects.filter(client=alice).order_by("id").values_list("balance_after", flat=True))
    assert afters == [Decimal("100.00"), Decimal("70.00"), Decimal("40.00"), Decimal("10.00")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_writers_of_one_payment_enter_it_once(alice):
    def pay(i: int) -> str:
        _entry, created = post_entry(
            alice,
            amount=Decimal("5"),
            kind=EntryKind.PAYMENT,
            key="gateway:tx-1",
            description=Text.verbatim("race"),
            now=NOW,
        )
        return "created" if created else "replayed"

    outcomes = _race(pay)

    assert outcomes == Counter({"created": 1, "replayed": THREADS - 1})
    assert LedgerEntry.objects.filter(key="gateway:tx-1").count() == 1
    assert Client.objects.get(pk=alice.pk).balance_amount == Decimal("105.00")
