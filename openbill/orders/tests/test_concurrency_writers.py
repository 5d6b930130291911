"""Different writers of one order at once (PostgreSQL): paying it (a click on Pay, or the payment
that arrived for it) while the client removes its line from another tab. One of them wins and
the other is told why; neither fails with a database error, and money moves only if the
order was paid. The first writer is stopped inside its transaction on purpose
(openbill.core.tests.interleave).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition
from openbill.core.tests import factories as f
from openbill.core.tests.interleave import interleave
from openbill.orders import actions
from openbill.orders.models import Order, OrderLine, OrderStatus
from openbill.services import actions as service_actions
from openbill.services.models import Service

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
CLIENT = Actor.system("client")


def _pending_order() -> tuple[Any, Order]:
    provider = f.provider()
    plan = f.tariff(f.product_type(provider, "vds"), "VPS", prices={"month": "10.00"}, setup_fee="5.00")
    alice = f.client(provider, "alice@test.test", balance="100.00")
    return alice, actions.order_now(alice, actor=CLIENT, now=NOW, tariff=plan.pk, period="month")


def _pay(order: Order) -> Any:
    return lambda: actions.pay_order(Order.objects.get(pk=order.pk), actor=CLIENT, now=NOW).status


def _remove(order: Order) -> Any:
    return lambda: actions.remove_line(OrderLine.objects.get(order=order), actor=CLIENT, now=NOW)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_removing_the_line_of_an_order_being_paid_is_refused_and_the_order_is_paid() -> None:
    alice, order = _pending_order()

    # Paying holds the order's row and is about to lock the service when the removal comes.
    paid, removed = interleave(_pay(order), _remove(order), pause=(service_actions, "lock"), before=True)

    assert paid == OrderStatus.PAID
    assert isinstance(removed, IllegalTransition), removed
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Service.objects.filter(client=alice).count() == 1
    assert sorted(Expense.objects.values_list("kind", "amount")) == [
        ("period", Decimal("10.00")),
        ("setup", Decimal("5.00")),
    ]
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("85.00")
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_paying_an_order_whose_line_is_being_removed_is_refused_and_nothing_is_charged() -> None:
    alice, order = _pending_order()

    # The removal has just locked the service when Pay comes.
    removed, paid = interleave(_remove(order), _pay(order), pause=(service_actions, "lock"))

    assert removed is None
    assert isinstance(paid, IllegalTransition), paid
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert not Service.objects.filter(client=alice).exists()
    assert not Expense.objects.exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_checking_out_one_cart_from_two_tabs_at_once_makes_one_order() -> None:
    provider = f.provider()
    plan = f.tariff(f.product_type(provider, "vds"), "VPS", prices={"month": "10.00"})
    alice = f.client(provider, "alice@test.test", balance="100.00")
    for _ in range(2):
        actions.place_order(alice, actor=CLIENT, now=NOW, tariff=plan.pk, period="month")

    def checkout() -> Any:
        return actions.checkout(alice, actor=CLIENT, now=NOW)

    # The first tab has read the cart and is about to make its order when the second comes.
    first, second = interleave(checkout, checkout, pause=(actions, "_create_order"), before=True)

    assert isinstance(first, Order)
    assert isinstance(second, DomainError) and second.field == "cart", second
    order = Order.objects.get()
    assert order.total_amount == Decimal("20.00")
    assert order.lines.count() == 2
    assert actions.pay_order(order, actor=CLIENT, now=NOW).status == OrderStatus.PAID
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("80.00")
    assert run_audit() == []
