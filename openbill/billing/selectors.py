"""Read queries about what a client paid for a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Q

from openbill.core.timeutil import share_of_period

from .models import Expense, ExpenseKind
from .rules import REMOTE_REFUSED_KEY

# Charges and credits of a change of tariff or add-ons are keyed ``line:<order line>:<part>``.
CHANGE_KEY = "line:"


def period_spans(service: Any) -> list[tuple[datetime, datetime]]:
    """The ``[start, end)`` of every dated period charge of the service, by end."""
    return [
        (start, end)
        for start, end in Expense.objects.filter(service=service, kind=ExpenseKind.PERIOD)
        .order_by("period_end", "pk")
        .values_list("period_start", "period_end")
        if start is not None and end is not None
    ]


def _running(service: Any, now: datetime) -> Any:
    """The charges and credits that paid for a stretch of the service's time after ``now``."""
    return Expense.objects.filter(service=service, period_end__gt=now, period_start__isnull=False).filter(
        Q(kind=ExpenseKind.PERIOD)
        | Q(kind__in=[ExpenseKind.CHANGE, ExpenseKind.REFUND], key__startswith=CHANGE_KEY)
        | Q(kind=ExpenseKind.REFUND, key__startswith=REMOTE_REFUSED_KEY)
    )


def _left(expense: Expense, now: datetime) -> Fraction:
    """The part of an expense's stretch still to come after ``now`` (exact)."""
    assert expense.period_start is not None and expense.period_end is not None
    if expense.period_end <= expense.period_start:
        return Fraction(0)
    return share_of_period(max(now, expense.period_start), expense.period_end, expense.period_start, expense.period_end)


@dataclass(frozen=True)
class PaidParts:
    """What is still paid, before tax, for each part of a service (Expense.components) for the
    time after a moment: the period charges' parts and the parts of earlier changes' charges
    and credits, each × the part of its stretch still to come (exact, not rounded).
    ``unattributed`` is the same for charges written without parts (before parts were kept)."""

    parts: dict[str, Fraction]
    unattributed: Fraction


def paid_parts(service: Any, *, now: datetime) -> PaidParts:
    parts: dict[str, Fraction] = {}
    unattributed = Fraction(0)
    for expense in _running(service, now):
        left = _left(expense, now)
        if not left:
            continue
        if not expense.components:
            if expense.key.startswith(REMOTE_REFUSED_KEY):
                continue  # gives back a charge as a whole: counted in unused_amount
            unattributed += Fraction(expense.amount) * left
            continue
        for part, amount in expense.components.items():
            parts[part] = parts.get(part, Fraction(0)) + Fraction(Decimal(amount)) * left
    return PaidParts(parts, unattributed)


def unused_amount(service: Any, *, now: datetime) -> Decimal:
    """The unused part of what the client actually paid for the service's time from ``now``,
    prorated by seconds (DESIGN §4).

    What was paid for the time is every charge that covers a stretch of it: the period charges,
    and the charges and credits of changes (tariff, add-ons: keyed ``line:…``, covering from
    the change to the expiry; a reversed change's entries cancel them). For each one still
    running: amount × (end − max(now, start)) / (end − start). A change credit already gave
    back its share of the old tariff, so it is not given back again. Never more than the net
    amount paid for those stretches, never negative. Not rounded here: the caller rounds once."""
    total = Decimal(0)
    paid = Decimal(0)
    for expense in _running(service, now):
        assert expense.period_start is not None and expense.period_end is not None
        if expense.period_end <= expense.period_start:
            continue
        share = _left(expense, now)
        total += expense.amount * share.numerator / share.denominator
        paid += expense.amount
    return max(Decimal(0), min(total, paid))
