"""Demo payments: bob announced a bank transfer that staff can confirm in the admin
(Payments → "Confirm that the bank transfer arrived"), and a transfer of alice's received now
(``finish``: after invoicing's part gave her a billing profile, so she has an invoice)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openbill.clients.models import Client
from openbill.core.actors import Actor

from . import actions
from .models import Payment


def extend(demo: Any) -> None:
    bob = Client.objects.get(provider=demo.provider, email="bob@demo.test")
    Payment.objects.create(
        client=bob,
        method="bank",
        amount=Decimal("50.00"),
        currency=bob.currency,
        created_at=demo.now,
        created_by="demo",
    )


def finish(demo: Any) -> None:
    # Received now: the demo's past (its ledger in date order) is already written.
    alice = Client.objects.get(provider=demo.provider, email="alice@demo.test")
    payment, _result = actions.start_payment(
        alice, method="bank", amount="121.00", actor=Actor.system("demo"), now=demo.now, return_url="/"
    )
    actions.confirm_payment(payment, actor=Actor.system("demo"), now=demo.now)
