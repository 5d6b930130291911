"""``openbill audit``, documents part: what a tax inspector would check, against the rows as
they are in the database (so it catches a change made behind Openbill's back).

1. Numbering: in every series and year the sequence runs 1, 2, 3… with no gap and no repeat.
2. The chain: each document's ``previous_hash`` is the hash of the one before it in its series,
   and its ``record_hash`` is the hash of its fields and lines as they are now.
3. Sums: a document's total is the sum of its lines, and net + tax = total, line by line.
4. The ledger: an invoice of a payment carries the payment's amount, which its ledger credit
   carries too; a credit note of a refund is for exactly the refund's amount, which its ledger
   entry took (that every completed refund of an invoiced payment has one is checked by
   ``payments.audit``: invoicing does not read payments).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .actions import GENESIS, record_hash
from .models import Document, DocumentKind, DocumentLine


def run_audit() -> list[str]:
    problems: list[str] = []
    lines: dict[int, list[DocumentLine]] = defaultdict(list)
    for line in DocumentLine.objects.order_by("document_id", "position").iterator(chunk_size=5000):
        lines[line.document_id].append(line)

    previous: dict[int, str] = {}
    numbers: dict[tuple[int, int], list[int]] = defaultdict(list)
    documents = Document.objects.select_related("corrects", "payment__entry", "refund__entry").order_by(
        "series_id", "pk"
    )
    for doc in documents.iterator(chunk_size=2000):
        numbers[(doc.series_id, doc.year)].append(doc.sequence)
        expected_previous = previous.get(doc.series_id, GENESIS)
        if doc.previous_hash != expected_previous:
            problems.append(f"document {doc.number}: the chain is broken (previous hash differs)")
        if record_hash(doc, lines[doc.pk]) != doc.record_hash:
            problems.append(f"document {doc.number}: its record hash does not match its fields (edited)")
        previous[doc.series_id] = doc.record_hash
        rows = lines[doc.pk]
        if sum((row.total_amount for row in rows), Decimal(0)) != doc.total_amount:
            problems.append(f"document {doc.number}: total {doc.total_amount} is not the sum of its lines")
        if doc.net_amount + doc.tax_amount != doc.total_amount or any(
            row.net_amount + row.tax_amount != row.total_amount for row in rows
        ):
            problems.append(f"document {doc.number}: net plus tax is not the total")
        if doc.kind == DocumentKind.INVOICE and doc.payment is not None:
            payment = doc.payment
            if doc.total_amount != payment.amount:
                problems.append(
                    f"invoice {doc.number}: total {doc.total_amount} but payment {payment.pk} is {payment.amount}"
                )
            if payment.entry is None or payment.entry.amount != doc.total_amount:
                problems.append(f"invoice {doc.number}: the ledger credit of payment {payment.pk} differs")
        if doc.kind == DocumentKind.CREDIT_NOTE and doc.refund is not None:
            refund = doc.refund
            if doc.total_amount != -refund.amount or refund.entry is None or refund.entry.amount != doc.total_amount:
                problems.append(f"credit note {doc.number}: refund {refund.pk} of {refund.amount} differs")

    for (series_id, year), sequences in numbers.items():
        ordered = sorted(sequences)
        if len(set(ordered)) != len(ordered):
            problems.append(f"series {series_id} year {year}: a number is used twice")
        if ordered != list(range(1, len(ordered) + 1)) and len(set(ordered)) == len(ordered):
            problems.append(f"series {series_id} year {year}: a gap in the numbering ({ordered[:3]}…)")

    return problems
