"""``openbill audit``: the ledger's invariants, checked against the database as it is.

1. Every client's cached balance equals the sum of its ledger entries.
2. Every entry's ``balance_after`` equals the running sum up to it (catches an edited amount
   even when the cached balance was edited to match).
3. Every charge with an amount has exactly its ledger entry, for the opposite amount.
4. Every entry is in its client's currency.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Sum, Window

from openbill.clients.models import Client

from .models import Expense, LedgerEntry


def run_audit() -> list[str]:
    problems: list[str] = []
    sums = dict(
        LedgerEntry.objects.order_by()
        .values("client_id")
        .annotate(total=Sum("amount"))
        .values_list("client_id", "total")
    )
    for pk, name, cached in (
        Client.objects.order_by("pk").values_list("pk", "name", "balance_amount").iterator(chunk_size=5000)
    ):
        total = sums.get(pk) or Decimal(0)
        if total != cached:
            problems.append(f"client {pk} ({name}): balance {cached} but its ledger sums to {total}")

    running = LedgerEntry.objects.annotate(
        running=Window(Sum("amount"), partition_by=[F("client_id")], order_by=[F("id").asc()])
    ).values_list("pk", "client_id", "balance_after", "running")
    for pk, client_id, after, total in running.iterator(chunk_size=5000):
        if after != total:
            problems.append(f"ledger entry {pk} of client {client_id}: balance after {after}, running sum {total}")

    mismatched = (
        Expense.objects.exclude(amount=0)
        .filter(entry__isnull=False)
        .exclude(entry__amount=-F("amount"))
        .values_list("pk", flat=True)
    )
    for pk in mismatched:
        problems.append(f"charge {pk}: its ledger entry does not carry its amount")
    for pk in Expense.objects.exclude(amount=0).filter(entry__isnull=True).values_list("pk", flat=True):
        problems.append(f"charge {pk}: no ledger entry")

    wrong_currency = LedgerEntry.objects.exclude(currency=F("client__provider__currency")).values_list("pk", flat=True)
    for pk in wrong_currency:
        problems.append(f"ledger entry {pk}: not in its client's currency")
    return problems
