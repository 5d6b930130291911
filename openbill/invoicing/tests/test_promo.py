"""Promo codes: what they apply to, how much they take off (never below zero), how they are
counted, and renewals that keep a recurring discount."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openbill.billing.actions import ledger_sum
from openbill.billing.models import Expense
from openbill.core.errors import DomainError
from openbill.core.tests import factories as f
from openbill.core.tests.concurrency import together
from openbill.invoicing.models import PromoCode, PromoUse
from openbill.orders import actions as orders
from openbill.orders.pricing import quote_new
from openbill.services.renewal import renew_service

from .helpers import CLIENT, profile, spanish_seller

NOW = timezone.now


def code(provider: Any, **values: Any) -> PromoCode:
    fields: dict[str, Any] = {"provider": provider, "code": "spring", "kind": "percent", "value": Decimal(10)}
    fields.update(values)
    return PromoCode.objects.create(**fields)


def test_the_quote_shows_the_discount_and_the_tax_after_it(provider: Any, alice: Any, vps_plan: Any) -> None:
    spanish_seller(provider)
    profile(alice)
    code(provider, value=Decimal(20))
    quote = quote_new(alice, tariff=vps_plan.pk, period="month", promo_code=" Spring ")
    # setup 5.00 and month 10.00, 20 % off each: 4.00 + 8.00 net, 21 % tax on those
    assert quote.discount.amounts == (Decimal("1.00"), Decimal("2.00"))
    assert (quote.tax.net, quote.tax.tax, quote.total) == (Decimal("12.00"), Decimal("2.52"), Decimal("14.52"))


def test_a_fixed_amount_never_takes_a_price_below_zero(provider: Any, alice: Any, vps_plan: Any) -> None:
    code(provider, kind="amount", value=Decimal("12.00"))
    quote = quote_new(alice, tariff=vps_plan.pk, period="month", promo_code="SPRING")
    assert quote.discount.amounts == (Decimal("2.00"), Decimal("10.00"))  # the period first, then the setup fee
    assert quote.total == Decimal("3.00")
    code(provider, code="huge", kind="amount", value=Decimal("100.00"))
    assert quote_new(alice, tariff=vps_plan.pk, period="month", promo_code="huge").total == Decimal("0.00")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"periods": ["year"]}, "does not apply"),
        ({"valid_until": "past"}, "not valid now"),
        ({"valid_from": "future"}, "not valid now"),
        ({"max_uses": 0}, "used up"),
        ({"new_clients_only": True}, "new clients only"),
        ({"tariff": "other"}, "does not apply"),
    ],
)
def test_a_code_outside_its_conditions_is_refused_and_nothing_is_ordered(
    provider: Any, alice: Any, vps_plan: Any, vps_type: Any, values: dict[str, Any], message: str
) -> None:
    f.service(alice, vps_plan)  # an existing client
    orders.place_order(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW())
    orders.pay_order(orders.checkout(alice, actor=CLIENT, now=NOW()), actor=CLIENT, now=NOW())
    tariff = values.pop("tariff", None)
    for key, when in (("valid_until", -1), ("valid_from", 1)):
        if values.get(key):
            values[key] = NOW() + timedelta(days=when)
    promo = code(provider, **values)
    if tariff:
        promo.tariffs.add(f.tariff(vps_type, "Other"))
    lines = alice.order_lines.count()
    with pytest.raises(DomainError, match=message) as refused:
        orders.place_order(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW(), promo_code="spring")
    assert refused.value.field == "promo_code"
    assert alice.order_lines.count() == lines


def test_uses_per_client_and_a_removed_cart_line_gives_its_use_back(
    provider: Any, alice: Any, bob: Any, vps_plan: Any
) -> None:
    code(provider, max_uses_per_client=1)
    line = orders.place_order(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW(), promo_code="spring")
    with pytest.raises(DomainError, match="already used"):
        orders.place_order(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW(), promo_code="spring")
    orders.place_order(bob, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW(), promo_code="spring")
    orders.remove_line(line, actor=CLIENT, now=NOW())
    orders.place_order(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW(), promo_code="spring")
    assert PromoUse.objects.count() == 2


@pytest.mark.parametrize(("scope", "renewals", "expected"), [
    ("first", 0, ["10.00", "10.00"]),
    ("renewals", 1, ["9.00", "10.00"]),
    ("every", 0, ["9.00", "9.00"]),
])  # fmt: skip
def test_renewals_keep_a_recurring_discount(
    provider: Any, alice: Any, vps_plan: Any, scope: str, renewals: int, expected: list[str]
) -> None:
    code(provider, scope=scope, renewals=renewals)
    order = orders.order_now(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW(), promo_code="spring")
    orders.pay_order(order, actor=CLIENT, now=NOW())
    service = order.lines.get().service
    # activation done (as services.actions.complete_operation leaves it)
    service.status, service.operation, service.expires_at = "active", "", NOW() + timedelta(days=1)
    service.activated_at = NOW()
    service.save(update_fields=["status", "operation", "expires_at", "activated_at"])
    charged = [renew_service(service, actor=CLIENT, now=NOW()).expense.amount for _ in range(2)]
    assert [f"{a:.2f}" for a in charged] == expected
    alice.refresh_from_db()
    assert alice.balance_amount == ledger_sum(alice)
    assert -sum(
        Expense.objects.filter(client=alice).values_list("amount", flat=True)
    ) == alice.balance_amount - Decimal("100.00")


def test_the_order_form_takes_a_code(provider: Any, alice: Any, alice_http: HttpClient, vps_type: Any) -> None:
    plan = f.tariff(vps_type, "Small", prices={"month": "10.00"})
    code(provider)
    url = reverse("clientarea:order_new", args=[plan.pk])
    page = alice_http.post(url, {"period": "month", "promo_code": "spring", "action": "quote"}).content.decode()
    assert "Promo code SPRING" in page and "-1.00 USD" in page and "9.00 USD" in page
    refused = alice_http.post(url, {"period": "month", "promo_code": "nope", "action": "quote"}).content.decode()
    assert "There is no such promo code." in refused


def test_the_api_quote_and_order_take_a_code(provider: Any, alice: Any, alice_api: Any, vps_plan: Any) -> None:
    code(provider)
    body = {"tariff": vps_plan.pk, "period": "month", "promo_code": "spring"}
    quote = alice_api.post("/api/v1/orders/quote/", body, format="json").json()
    assert (quote["discount"], quote["promo_code"], quote["total"]) == ("1.50", "SPRING", "13.50")
    refused = alice_api.post("/api/v1/orders/quote/", {**body, "promo_code": "nope"}, format="json")
    assert refused.status_code == 400 and "promo_code" in str(refused.json())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_last_use_is_taken_once_when_two_carts_apply_it_at_once() -> None:
    provider = f.provider()
    plan = f.tariff(f.product_type(provider, "vds"), "VPS-1")
    code(provider, max_uses=1)
    clients = [f.client(provider, f"c{i}@test.test") for i in range(4)]
    results = together(
        *[
            lambda c=c: orders.place_order(
                c, tariff=plan.pk, period="month", actor=CLIENT, now=NOW(), promo_code="spring"
            )
            for c in clients
        ]
    )
    placed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) == 1 and len(refused) == 3, results
    assert PromoUse.objects.count() == 1
