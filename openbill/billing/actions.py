"""Moving money: every change to a balance goes through ``post_entry``.

The client row is locked for the length of the transaction, the new balance is computed from
the locked row, the entry and the cached balance are written together, and the entry's unique
key makes a second attempt of the same business event a no-op that returns the first entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, InsufficientFunds
from openbill.core.money import format_money, round_amount
from openbill.core.ports import Port
from openbill.core.texts import Text
from openbill.core.texts import stored as stored_text

from .models import EntryKind, Expense, ExpenseKind, LedgerEntry
from .rules import can_pay, ledger_key

if TYPE_CHECKING:
    from openbill.services.models import Service


def post_entry(
    client: Client,
    *,
    amount: Decimal,
    kind: str,
    key: str,
    description: Text,
    now: datetime,
    actor: Actor | None = None,
    service_id: int | None = None,
    allow_overdraft: bool = False,
) -> tuple[LedgerEntry, bool]:
    """Write one ledger entry under ``key``; returns (entry, created).

    A debit may take the balance down to minus the client's credit limit, never further,
    unless ``allow_overdraft`` (a rule such as overage charged "anyway"). ``description`` is a
    fact (``Text(kind, **params)``), stored as such and rendered in each reader's language.
    """
    amount = round_amount(amount, client.currency)
    if amount == 0:
        raise DomainError(_("The amount must not be zero."), field="amount")
    with transaction.atomic():
        existing = LedgerEntry.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
        locked = Client.objects.select_for_update().select_related("provider").get(pk=client.pk)
        # Re-check under the lock: a concurrent writer may have entered it while we waited.
        existing = LedgerEntry.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
        new_balance = locked.balance_amount + amount
        if not allow_overdraft and not can_pay(locked.balance_amount, locked.credit_limit, -amount):
            raise insufficient_funds(locked, -amount)
        try:
            description_kind, description_params = stored_text(description, locked.provider.tz)
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    client=locked,
                    kind=kind,
                    amount=amount,
                    currency=locked.currency,
                    balance_after=new_balance,
                    key=key,
                    description_kind=description_kind,
                    description_params=description_params,
                    service_id=service_id,
                    created_at=now,
                    created_by=str(actor or ""),
                )
        except IntegrityError:
            # The unique key is the backstop for a writer that did not take the lock.
            return LedgerEntry.objects.get(key=key), False
        Client.objects.filter(pk=locked.pk).update(balance_amount=F("balance_amount") + amount)
        client.balance_amount = new_balance
        return entry, True


def insufficient_funds(client: Client, needed: Decimal) -> InsufficientFunds:
    deficit = needed - client.available_amount
    return InsufficientFunds(
        _("Insufficient funds: the amount is %(amount)s, you have %(available)s, %(deficit)s is missing.")
        % {
            "amount": format_money(needed, client.currency),
            "available": format_money(client.available_amount, client.currency),
            "deficit": format_money(deficit, client.currency),
        },
        field="amount",
        amount=str(round_amount(needed, client.currency)),
        available=str(round_amount(client.available_amount, client.currency)),
        deficit=str(round_amount(deficit, client.currency)),
    )


class CreditDocument(Protocol):
    def __call__(self, expense: Expense, *, now: datetime) -> object: ...


#: The document for money returned to a balance (invoicing's credit note, when the charge it
#: returns was invoiced), written in the transaction that credits it. Plugged in by
#: ``InvoicingConfig.ready``: billing never imports invoicing.
credit_documents: Port[CreditDocument] = Port("the credit note of money returned to a balance")


def charge_service(
    service: Service,
    *,
    kind: str,
    key: str,
    amount: Decimal,
    description: Text,
    now: datetime,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    actor: Actor | None = None,
    allow_overdraft: bool = False,
    components: Mapping[str, str] | None = None,
) -> tuple[Expense, bool]:
    """Charge (positive ``amount``) or credit (negative) a service under its business key.

    ``components`` is what the charge paid for each part of the service before tax
    (``billing.rules.spread``), kept with it. Returns (expense, created). The Expense's unique (service, kind, key) and the ledger's
    unique key make the charge happen once however often it is asked for.
    """
    client = service.client
    amount = round_amount(amount, client.currency)
    with transaction.atomic():
        existing = Expense.objects.filter(service=service, kind=kind, key=key).first()
        if existing is not None:
            return existing, False
        entry = None
        if amount != 0:
            entry, _created = post_entry(
                client,
                amount=-amount,
                kind=EntryKind.REFUND if amount < 0 and kind == ExpenseKind.REFUND else EntryKind.CHARGE,
                key=ledger_key(service.pk, kind, key),
                description=description,
                now=now,
                actor=actor,
                service_id=service.pk,
                allow_overdraft=allow_overdraft,
            )
        expense = Expense.objects.create(
            service=service,
            client=client,
            kind=kind,
            key=key,
            amount=amount,
            currency=client.currency,
            period_start=period_start,
            period_end=period_end,
            entry=entry,
            created_at=now,
            components=dict(components or {}),
        )
        if amount < 0:
            credit_documents()(expense, now=now)
        return expense, True


def ledger_sum(client: Client) -> Decimal:
    return LedgerEntry.objects.filter(client=client).aggregate(total=Sum("amount"))["total"] or Decimal(0)
