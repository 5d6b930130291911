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


# The tax decision of every kind of money movement (README "Invoices and taxes"). A charge takes
# from the balance its price with the client's tax (invoicing.tax: net or gross prices, per line
# after any discount, rounded once, reverse charge and OSS), since the balance holds money whose
# tax was invoiced when it was received; money received or given back is no sale of its own.
# A new kind needs its line here: billing/tests/test_tax_decisions.py fails until it has one.
TAXED = "taxed"
EXEMPT = "exempt"
TAX_DECISIONS: dict[str, tuple[str, str]] = {
    # ledger entries (EntryKind)
    "entry:payment": (EXEMPT, "money received: taxed on the invoice issued with its credit (art. 65)"),
    "entry:charge": (TAXED, "a service's charge: as its expense kind below"),
    "entry:refund": (EXEMPT, "money returned: a credit note at its invoice's rate"),
    "entry:correction": (EXEMPT, "staff's correction of a balance: no sale"),
    # service charges (ExpenseKind)
    "expense:setup": (TAXED, "the order's quote (invoicing.selectors.breakdown)"),
    "expense:period": (
        TAXED,
        "first period: the order's quote, a domain's zone price (breakdown); "
        "renewal and Extend: invoicing.selectors.renewal_charge",
    ),
    "expense:daily": (TAXED, "daily-priced services renew as period charges (renewal_charge)"),
    "expense:change": (TAXED, "a change of service: the change's quote"),
    "expense:overage": (TAXED, "each overage increment (invoicing.selectors.charge_amount)"),
    "expense:refund": (EXEMPT, "gives back (part of) a charge as it was taken, tax included"),
}


def undecided_kinds(entry_kinds: list[str], expense_kinds: list[str]) -> list[str]:
    """The kinds with no tax decision (empty when every kind has one)."""
    wanted = [f"entry:{k}" for k in entry_kinds] + [f"expense:{k}" for k in expense_kinds]
    return [k for k in wanted if k not in TAX_DECISIONS]
