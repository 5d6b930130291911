"""The orders, payments and Idempotency-Key API."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.billing.models import Expense, LedgerEntry
from openbill.core.models import IdempotencyRecord
from openbill.core.tests import factories as f
from openbill.orders.models import Order, OrderLine
from openbill.payments.gateways import card
from openbill.payments.models import Payment
from openbill.services.choices import Operation
from openbill.services.models import Service


def api_for(user: Any) -> APIClient:
    _, raw = ApiToken.issue(user, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def alice_api(alice_user: Any) -> APIClient:
    return api_for(alice_user)


@pytest.fixture
def bob_api(bob_user: Any) -> APIClient:
    return api_for(bob_user)


def vps_body(catalog: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "tariff": catalog["plan"].pk,
        "period": "month",
        "addons": {"ram": "4", "os": "windows"},
        "parameters": {"hostname": "web1.example.com"},
    }
    body.update(overrides)
    return body


def test_quote_shows_the_exact_price(alice_api: APIClient, vps_catalog: Any) -> None:
    response = alice_api.post("/api/v1/orders/quote/", vps_body(vps_catalog), format="json")
    assert response.status_code == 200
    assert (response.data["period_amount"], response.data["setup_amount"], response.data["total"]) == (
        "31.00",
        "5.00",
        "36.00",
    )


def test_cart_add_checkout_and_pay(alice_api: APIClient, alice: Any, vps_catalog: Any) -> None:
    added = alice_api.post("/api/v1/cart/", vps_body(vps_catalog), format="json")
    assert added.status_code == 201
    assert added.data["service_status"] == "Ordered"
    cart = alice_api.get("/api/v1/cart/")
    assert cart.data["total"] == "36.00"
    paid = alice_api.post("/api/v1/cart/checkout/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert paid.status_code == 201
    assert paid.data["status"] == "paid"
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("64.00")
    assert alice_api.get("/api/v1/cart/").data["lines"] == []


def test_an_api_retry_with_the_same_key_replays_and_charges_once(
    alice_api: APIClient, alice: Any, vps_catalog: Any
) -> None:
    first = alice_api.post("/api/v1/orders/", vps_body(vps_catalog), format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    second = alice_api.post("/api/v1/orders/", vps_body(vps_catalog), format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.data == second.data
    assert Order.objects.count() == 1 and Service.objects.count() == 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("64.00")


def test_paying_an_order_already_paid_is_409_with_the_order_and_charges_nothing_more(
    alice_api: APIClient, alice: Any, vps_catalog: Any
) -> None:
    ordered = alice_api.post("/api/v1/orders/", vps_body(vps_catalog, pay=False), format="json")
    order_id = ordered.data["id"]
    first = alice_api.post(f"/api/v1/orders/{order_id}/pay/", format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == 200 and first.data["status"] == "paid"

    again = alice_api.post(f"/api/v1/orders/{order_id}/pay/", format="json", HTTP_IDEMPOTENCY_KEY="pay-2")

    assert again.status_code == 409
    assert again.data["code"] == "illegal_transition"
    assert again.data["details"]["order"]["id"] == order_id
    assert again.data["details"]["order"]["status"] == "paid"
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("64.00")
    assert Expense.objects.count() == 2  # the setup fee and the first period, once
    # the same key is still a replay of the first answer, not a 409
    replay = alice_api.post(f"/api/v1/orders/{order_id}/pay/", format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"


def test_the_same_key_with_other_parameters_is_refused(alice_api: APIClient, alice: Any, vps_catalog: Any) -> None:
    alice_api.post("/api/v1/orders/", vps_body(vps_catalog), format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    other = alice_api.post(
        "/api/v1/orders/", vps_body(vps_catalog, period="year"), format="json", HTTP_IDEMPOTENCY_KEY="order-1"
    )
    assert other.status_code == 422
    assert Order.objects.count() == 1


def test_keys_are_scoped_to_the_caller(alice_api: APIClient, bob_api: APIClient, vps_catalog: Any) -> None:
    alice_api.post("/api/v1/orders/", vps_body(vps_catalog), format="json", HTTP_IDEMPOTENCY_KEY="same")
    theirs = bob_api.post(
        "/api/v1/orders/", vps_body(vps_catalog, pay=False), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert theirs.status_code == 201
    assert Order.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


def test_paying_without_funds_is_402_with_the_deficit_and_nothing_changes(
    bob_api: APIClient, bob: Any, vps_catalog: Any
) -> None:
    response = bob_api.post("/api/v1/orders/", vps_body(vps_catalog, period="year"), format="json")
    assert response.status_code == 402
    assert response.data["details"] == {"amount": "715.00", "available": "50.00", "deficit": "665.00"}
    assert not Service.objects.exists() and not Order.objects.exists()
    bob.refresh_from_db()
    assert bob.balance_amount == Decimal("50.00")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"period": "3years"}, "period"),
        ({"addons": {"ram": "99"}}, "addons.ram"),
        ({"addons": {"os": "freebsd"}}, "addons.os"),
        ({"parameters": {"hostname": "-bad-"}}, "parameters.hostname"),
    ],
)
def test_bad_orders_are_400_naming_the_field(
    alice_api: APIClient, vps_catalog: Any, overrides: dict[str, Any], field: str
) -> None:
    response = alice_api.post("/api/v1/orders/", vps_body(vps_catalog, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Service.objects.exists()


def test_another_clients_order_line_and_service_are_404(
    alice_api: APIClient, bob_api: APIClient, bob: Any, vps_catalog: Any
) -> None:
    order = bob_api.post("/api/v1/orders/", vps_body(vps_catalog, pay=False), format="json").data
    line = bob_api.post("/api/v1/cart/", vps_body(vps_catalog), format="json").data
    service = f.service(bob, vps_catalog["plan"])
    assert alice_api.get(f"/api/v1/orders/{order['id']}/").status_code == 404
    assert alice_api.post(f"/api/v1/orders/{order['id']}/pay/").status_code == 404
    assert alice_api.delete(f"/api/v1/cart/{line['id']}/").status_code == 404
    for path in ("renew", "renew/quote", "change", "change/quote", "configure"):
        assert alice_api.post(f"/api/v1/services/{service.pk}/{path}/", {}, format="json").status_code == 404
    assert alice_api.get(f"/api/v1/services/{service.pk}/instructions/").status_code == 404
    assert Expense.objects.count() == 0
    assert OrderLine.objects.filter(client=bob).count() == 2


def test_renew_and_change_through_the_api(alice_api: APIClient, alice: Any, vps_catalog: Any) -> None:
    service = f.service(alice, vps_catalog["plan"], addons={vps_catalog["ram"]: "2"})
    quote = alice_api.post(f"/api/v1/services/{service.pk}/renew/quote/", {"period": "month"}, format="json")
    assert quote.data["amount"] == "12.00"
    renewed = alice_api.post(
        f"/api/v1/services/{service.pk}/renew/", {"period": "month"}, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    assert renewed.status_code == 200 and renewed.data["charged"] is True
    change_quote = alice_api.post(
        f"/api/v1/services/{service.pk}/change/quote/", {"addons": {"ram": "3"}}, format="json"
    )
    assert change_quote.status_code == 200
    assert Decimal(change_quote.data["total"]) > 0
    changed = alice_api.post(
        f"/api/v1/services/{service.pk}/change/",
        {"addons": {"ram": "3"}, "auto_renew": False},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c1",
    )
    assert changed.status_code == 200
    assert changed.data["operation"] == Operation.RECONFIGURATION
    assert changed.data["auto_renew"] is False


def test_a_top_up_by_card_returns_the_checkout_url(alice_api: APIClient, alice: Any) -> None:
    response = alice_api.post("/api/v1/payments/", {"method": "card", "amount": "20.00"}, format="json")
    assert response.status_code == 201
    assert "/pay/card/checkout/" in response.data["redirect_url"]
    payment = Payment.objects.get()
    body = card.notification_body(
        {"reference": str(payment.reference), "amount": "20.00", "currency": "USD"}, succeeded=True
    )
    APIClient().post(
        "/pay/card/notify/",
        body,
        content_type="application/json",
        HTTP_X_CARD_SIGNATURE=card.sign(body, int(time.time())),
    )
    listed = alice_api.get(f"/api/v1/payments/{payment.pk}/")
    assert listed.data["status"] == "completed"
    assert LedgerEntry.objects.filter(key=f"payment:{payment.pk}").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "card", "amount": "0"}, "amount"),
        ({"method": "card", "amount": "-1"}, "amount"),
        ({"method": "card", "amount": "10", "currency": "EUR"}, "currency"),
        ({"method": "cash", "amount": "10"}, "method"),
        ({"method": "card", "amount": "10", "order": 999999}, "order"),
    ],
)
def test_bad_top_ups_are_400_naming_the_field(alice_api: APIClient, body: dict[str, Any], field: str) -> None:
    response = alice_api.post("/api/v1/payments/", body, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Payment.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/payments/", "/api/v1/cart/"])
def test_list_endpoints_make_the_same_number_of_queries_for_n_and_2n(
    alice_api: APIClient, alice: Any, vps_catalog: Any, path: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from openbill.core.actors import Actor
    from openbill.orders import actions

    def add(n: int) -> None:
        now = timezone.now()
        for _ in range(n):
            body = {"tariff": vps_catalog["plan"].pk, "period": "month", "parameters": {"hostname": "a.example.com"}}
            actions.place_order(alice, actor=Actor.system(), now=now, **body)
            actions.order_now(alice, actor=Actor.system(), now=now, **body)
            Payment.objects.create(client=alice, method="bank", amount=1, currency="USD", created_at=now)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_api.get(path).status_code == 200
        return len(queries)

    count()  # the token's first use records last_used_at; not part of the page's cost
    add(2)
    first = count()
    add(2)
    assert count() == first
