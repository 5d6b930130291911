"""Read queries about what a client paid for a service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
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


def unused_amount(service: Any, *, now: datetime) -> Decimal:
    """The unused part of what the client actually paid for the service's time from ``now``,
    prorated by seconds (DESIGN §4).

    What was paid for the time is every charge that covers a stretch of it: the period charges,
    and the charges and credits of changes (tariff, add-ons: keyed ``line:…``, covering from
    the change to the expiry; a reversed change's entries cancel them). For each one still
    running: amount × (end − max(now, start)) / (end − start). A change credit already gave
    back its share of the old tariff, so it is not given back again. Never more than the net
    amount paid for those stretches, never negative. Not rounded here: the caller rounds once."""
    running = Expense.objects.filter(service=service, period_end__gt=now, period_start__isnull=False).filter(
        Q(kind=ExpenseKind.PERIOD)
        | Q(kind__in=[ExpenseKind.CHANGE, ExpenseKind.REFUND], key__startswith=CHANGE_KEY)
        | Q(kind=ExpenseKind.REFUND, key__startswith=REMOTE_REFUSED_KEY)
    )
    total = Decimal(0)
    paid = Decimal(0)
    for expense in running:
        assert expense.period_start is not None and expense.period_end is not None
        if expense.period_end <= expense.period_start:
            continue
        share = share_of_period(
            max(now, expense.period_start), expense.period_end, expense.period_start, expense.period_end
        )
        total += expense.amount * share.numerator / share.denominator
        paid += expense.amount
    return max(Decimal(0), min(total, paid))
