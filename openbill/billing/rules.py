"""The money rules every path shares: the business key of a charge and whether funds can pay.

The one-by-one path (``charge_service``, ``post_entry``), the set-based renew sweep (its SQL is
filled from these functions) and the order and change checks all call these, so they cannot
drift apart.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

# The first period is paid at order time, before its dates are known (they are filled in when
# the service becomes Active): its key is this word rather than a start date.
FIRST_PERIOD_KEY = "first"

# A charge given back because the remote system refused what it paid for (a registry): it covers
# the same stretch as the charge, so the unused part of that stretch is not given twice.
REMOTE_REFUSED_KEY = "remote-refused:"


def period_key(start: datetime) -> str:
    """The business key of the charge of a period: its start. Two callers racing for the same
    period (a click and the sweep, two workers) write the same key, so it is charged once."""
    return start.isoformat()


def ledger_key(service_id: int, kind: str, key: str) -> str:
    """The ledger entry's unique key for a service's charge ``(kind, key)``."""
    return f"expense:{service_id}:{kind}:{key}"


def can_pay(balance: Decimal, credit_limit: Decimal, amount: Decimal) -> bool:
    """Whether a debit of ``amount`` leaves the balance at or above minus the credit limit.
    Nothing (or a credit) can always be paid."""
    return amount <= 0 or balance - amount >= -credit_limit
