"""Demo payments: bob announced a bank transfer that staff can confirm in the admin
(Payments → "Confirm that the bank transfer arrived")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openbill.clients.models import Client

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
