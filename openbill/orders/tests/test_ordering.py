"""Ordering, the cart and paying from the balance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition, InsufficientFunds
from openbill.core.models import Notice
from openbill.core.tests import factories as f
from openbill.orders import actions
from openbill.orders.models import Order, OrderLine, OrderStatus
from openbill.orders.pricing import quote_new
from openbill.services.actions import complete_operation
from openbill.services.choices import Operation, Status
from openbill.services.models import Service

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ALICE = Actor("client", None, "alice")


def spec(catalog: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values = {
        "tariff": catalog["plan"].pk,
        "period": "month",
        "addons": {"ram": "4", "os": "windows"},
        "parameters": {"hostname": "web1.example.com"},
    }
    values.update(overrides)
    return values


def state(client: Any) -> tuple[Any, ...]:
    client.refresh_from_db()
    return (
        client.balance_amount,
        LedgerEntry.objects.count(),
        Expense.objects.count(),
        Service.objects.count(),
        OrderLine.objects.count(),
        Order.objects.count(),
    )


def test_the_price_shown_is_period_add_ons_and_setup_fee(alice: Any, vps_catalog: Any) -> None:
    quote = quote_new(alice, **spec(vps_catalog))
    # 10.00 a month + 3 GiB over the included one at 2.00 + Windows at 15.00, plus 5.00 setup.
    assert quote.period_amount == Decimal("31.00")
    assert quote.setup_amount == Decimal("5.00")
    assert quote.total == Decimal("36.00")


def test_adding_to_the_cart_charges_nothing_and_the_service_shows_ordered(alice: Any, vps_catalog: Any) -> None:
    line = actions.place_order(alice, actor=ALICE, now=NOW, **spec(vps_catalog))
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")
    assert line.service.status == Status.ORDERED
    assert line.service.label == "Ordered"
    assert list(OrderLine.objects.for_client(alice).in_cart()) == [line]
    assert line.service.parameters == {"hostname": "web1.example.com"}


def test_paying_the_cart_charges_each_line_once_and_starts_activation(
    alice: Any, vps_catalog: Any, domain_plan: Any
) -> None:
    server = actions.place_order(alice, actor=ALICE, now=NOW, **spec(vps_catalog))
    domain = actions.place_order(
        alice, actor=ALICE, now=NOW, tariff=domain_plan.pk, period="year", parameters={"domain": "exämple.com"}
    )
    order = actions.checkout(alice, actor=ALICE, now=NOW)
    assert order.total_amount == Decimal("48.00")
    actions.pay_order(order, actor=ALICE, now=NOW)
    actions.pay_order(order, actor=ALICE, now=NOW)  # a second click

    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("52.00")
    assert Expense.objects.filter(service=server.service).count() == 2  # setup + first period
    assert Expense.objects.filter(service=domain.service).count() == 1  # no setup fee
    server.service.refresh_from_db()
    assert server.service.operation == Operation.ACTIVATION
    assert server.service.label == "In progress (activation)"
    domain.service.refresh_from_db()
    assert domain.service.parameters == {"domain": "xn--exmple-cua.com"}
    assert Order.objects.get().status == OrderStatus.PAID
    assert Notice.objects.filter(template="order_placed", client=alice).count() == 1
    assert run_audit() == []


def test_the_paid_period_starts_at_activation(alice: Any, vps_catalog: Any) -> None:
    order = actions.order_now(alice, actor=ALICE, now=NOW, **spec(vps_catalog))
    actions.pay_order(order, actor=ALICE, now=NOW)
    service = order.lines.get().service
    activated = NOW + timedelta(days=2)
    complete_operation(service.pk, Operation.ACTIVATION, actor=Actor.system(), now=activated)
    service.refresh_from_db()
    assert service.status == Status.ACTIVE
    assert service.expires_at == datetime(2025, 4, 12, 12, 0, tzinfo=UTC)
    # The first period's charge gets its dates once they are known: expiry = end of the last charge.
    first = Expense.objects.get(service=service, kind="period", key="first")
    assert (first.period_start, first.period_end) == (activated, service.expires_at)
    assert first.amount == Decimal("31.00")


def test_insufficient_balance_says_amount_available_and_deficit_and_changes_nothing(bob: Any, vps_catalog: Any) -> None:
    order = actions.order_now(bob, actor=ALICE, now=NOW, **spec(vps_catalog, period="year"))
    before = state(bob)
    with pytest.raises(InsufficientFunds) as raised:
        actions.pay_order(order, actor=ALICE, now=NOW)
    # 500 + 3 × 20 + 150 + 5 setup = 715.00; bob has 50.00.
    assert raised.value.details == {"amount": "715.00", "available": "50.00", "deficit": "665.00"}
    assert "665 USD is missing" in raised.value.message
    assert state(bob) == before
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_removing_a_cart_line_deletes_the_never_paid_service(alice: Any, vps_catalog: Any) -> None:
    line = actions.place_order(alice, actor=ALICE, now=NOW, **spec(vps_catalog))
    actions.remove_line(line, actor=ALICE, now=NOW)
    assert not Service.objects.exists()
    assert not OrderLine.objects.exists()
    assert not Expense.objects.exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_emptying_the_cart_removes_every_line(alice: Any, vps_catalog: Any, domain_plan: Any) -> None:
    actions.place_order(alice, actor=ALICE, now=NOW, **spec(vps_catalog))
    actions.place_order(
        alice, actor=ALICE, now=NOW, tariff=domain_plan.pk, period="year", parameters={"domain": "a.com"}
    )
    assert actions.empty_cart(alice, actor=ALICE, now=NOW) == 2
    assert not Service.objects.exists()


def test_a_paid_line_cannot_be_removed(alice: Any, vps_catalog: Any) -> None:
    order = actions.order_now(alice, actor=ALICE, now=NOW, **spec(vps_catalog))
    actions.pay_order(order, actor=ALICE, now=NOW)
    with pytest.raises(IllegalTransition):
        actions.remove_line(order.lines.get(), actor=ALICE, now=NOW)


def test_the_same_request_key_creates_one_line(alice: Any, vps_catalog: Any) -> None:
    first = actions.place_order(alice, actor=ALICE, now=NOW, request_key="form-1", **spec(vps_catalog))
    second = actions.place_order(alice, actor=ALICE, now=NOW, request_key="form-1", **spec(vps_catalog))
    assert first.pk == second.pk
    assert Service.objects.count() == 1


def test_a_quick_order_waits_for_its_parameters_after_payment(alice: Any, vps_catalog: Any) -> None:
    plan = vps_catalog["plan"]
    plan.quick_order = True
    plan.save()
    order = actions.order_now(alice, actor=ALICE, now=NOW, quick=True, **spec(vps_catalog, parameters={}))
    actions.pay_order(order, actor=ALICE, now=NOW)
    service = Service.objects.get()
    assert service.status == Status.CONFIGURATION_REQUIRED
    assert service.label == "Configuration required"
    with pytest.raises(DomainError) as raised:
        actions.configure_service(service, {"hostname": "not a host"}, actor=ALICE, now=NOW)
    assert raised.value.field == "parameters.hostname"
    actions.configure_service(service, {"hostname": "ok.example.com"}, actor=ALICE, now=NOW)
    service.refresh_from_db()
    assert service.operation == Operation.ACTIVATION


def test_a_quick_order_needs_a_tariff_that_allows_it(alice: Any, vps_catalog: Any) -> None:
    with pytest.raises(DomainError) as raised:
        actions.place_order(alice, actor=ALICE, now=NOW, quick=True, **spec(vps_catalog, parameters={}))
    assert raised.value.field == "quick"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"period": "3years"}, "period"),
        ({"period": "fortnight"}, "period"),
        ({"addons": {"ram": "17"}}, "addons.ram"),
        ({"addons": {"ram": "0"}}, "addons.ram"),
        ({"addons": {"ram": "2.5"}}, "addons.ram"),
        ({"addons": {"ram": "lots"}}, "addons.ram"),
        ({"addons": {"os": "freebsd"}}, "addons.os"),
        ({"addons": {"os": "plan9"}}, "addons.os"),
        ({"addons": {"gpu": "1"}}, "addons.gpu"),
        ({"parameters": {"hostname": "bad_host!"}}, "parameters.hostname"),
        ({"parameters": {}}, "parameters.hostname"),
        ({"parameters": {"hostname": "a.com", "secret": "x"}}, "parameters.secret"),
        ({"tariff": 999999}, "tariff"),
        ({"tariff": "abc"}, "tariff"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    alice: Any, vps_catalog: Any, overrides: dict[str, Any], field: str
) -> None:
    before = state(alice)
    with pytest.raises(DomainError) as raised:
        actions.order_now(alice, actor=ALICE, now=NOW, **spec(vps_catalog, **overrides))
    assert raised.value.field == field
    assert state(alice) == before


def test_another_providers_tariff_cannot_be_ordered(alice: Any, vps_catalog: Any) -> None:
    other = f.provider("Other Hosting")
    foreign = f.tariff(f.product_type(other, "vds"), "Foreign")
    with pytest.raises(DomainError) as raised:
        actions.place_order(alice, actor=ALICE, now=NOW, tariff=foreign.pk, period="month")
    assert raised.value.field == "tariff"


def test_a_tariff_that_is_not_orderable_cannot_be_ordered(alice: Any, vps_catalog: Any) -> None:
    plan = vps_catalog["plan"]
    plan.orderable = False
    plan.save()
    with pytest.raises(DomainError) as raised:
        actions.place_order(alice, actor=ALICE, now=NOW, **spec(vps_catalog))
    assert raised.value.field == "tariff"
