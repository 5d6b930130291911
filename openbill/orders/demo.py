"""Demo orders: alice has a domain waiting in her cart (status Ordered, in the Orders page's
pending-payment block); bob has an order waiting for payment."""

from __future__ import annotations

from typing import Any

from openbill.clients.models import Client
from openbill.core.actors import Actor

from . import actions

DEMO = Actor.system("demo")


def extend(demo: Any) -> None:
    alice = Client.objects.get(provider=demo.provider, email="alice@demo.test")
    bob = Client.objects.get(provider=demo.provider, email="bob@demo.test")
    actions.place_order(
        alice, tariff=demo.com.pk, period="year", parameters={"domain": "alice-shop.com"}, actor=DEMO, now=demo.now
    )
    actions.order_now(
        bob, tariff=demo.com.pk, period="year", parameters={"domain": "bob-sample.es"}, actor=DEMO, now=demo.now
    )
