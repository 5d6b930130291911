"""Editing a VDC's pool through the ordinary change flow: lowering it below what the machines
use is refused and changes nothing; above that it goes through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from openbill.billing.models import LedgerEntry
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.orders import actions as orders
from openbill.services.models import ServiceAddon
from openbill.vdc import actions, selectors

CLIENT = Actor.system("test")


def test_lowering_the_pool_below_the_machines_use_is_refused(alice_vdc: Any, debian: Any, alice: Any) -> None:
    actions.create_machine(
        alice_vdc, name="a", template=debian, cpu=2, ram=1, disk=10, actor=CLIENT, now=timezone.now()
    )
    actions.create_machine(
        alice_vdc, name="b", template=debian, cpu=4, ram=1, disk=10, actor=CLIENT, now=timezone.now()
    )
    alice.refresh_from_db()
    balance = alice.balance_amount
    entries = LedgerEntry.objects.filter(client=alice).count()

    with pytest.raises(DomainError) as refused:
        orders.change_service(alice_vdc, actor=CLIENT, now=timezone.now(), addons={"cpu": Decimal(5)})

    assert refused.value.field == "cpu"
    assert "use 6 CPU cores" in refused.value.message
    assert selectors.pool_of(alice_vdc)["cpu"] == 8
    assert not ServiceAddon.objects.filter(service=alice_vdc).exists()
    assert LedgerEntry.objects.filter(client=alice).count() == entries
    alice.refresh_from_db()
    assert alice.balance_amount == balance == Decimal("100.00")


def test_lowering_to_what_the_machines_use_goes_through(alice_vdc: Any, debian: Any) -> None:
    actions.create_machine(
        alice_vdc, name="a", template=debian, cpu=6, ram=1, disk=10, actor=CLIENT, now=timezone.now()
    )

    orders.change_service(alice_vdc, actor=CLIENT, now=timezone.now(), addons={"cpu": Decimal(6)})

    assert selectors.pool_of(alice_vdc)["cpu"] == 6
