"""Money under concurrency through the API (PostgreSQL, threads released together by a
barrier): parallel pays of one order, with one Idempotency-Key and with many; parallel extends
of one service that the balance pays once. Each ends with the ledger and ``openbill audit``.

Seen failing with the order row's lock removed (orders.actions.pay_order and the pay view)
and with the client row's lock removed (billing.actions.post_entry)."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.billing.actions import post_entry
from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, Expense, LedgerEntry
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.orders.models import Order, OrderStatus

N_PAYS = 20
N_EXTENDS = 10


def together(n: int, call: Any) -> list[Any]:
    """``call(i)`` in n threads released at once; its results (or exceptions), in any order."""
    barrier = threading.Barrier(n)
    results: list[Any] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results.append(call(i))
        except Exception as exc:  # collected and asserted by the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def api(raw: str) -> APIClient:
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return caller


def assert_ledger_agrees(client: Any) -> None:
    client.refresh_from_db()
    entries = list(LedgerEntry.objects.filter(client=client).order_by("pk").values_list("amount", "balance_after"))
    assert sum((amount for amount, _after in entries), Decimal(0)) == client.balance_amount
    assert entries[-1][1] == client.balance_amount
    assert run_audit() == []


@pytest.fixture
def pending_order(alice_user: Any, alice: Any, vps_catalog: Any) -> tuple[str, int]:
    _, raw = ApiToken.issue(alice_user, "t")
    body = {
        "tariff": vps_catalog["plan"].pk,
        "period": "month",
        "addons": {"ram": "4", "os": "windows"},
        "parameters": {"hostname": "web1.example.com"},
        "pay": False,
    }
    ordered = api(raw).post("/api/v1/orders/", body, format="json")
    assert ordered.status_code == 201
    return raw, ordered.data["id"]


def assert_paid_once(alice: Any, order_id: int) -> None:
    assert Order.objects.get(pk=order_id).status == OrderStatus.PAID
    assert Expense.objects.filter(service__order_lines__order_id=order_id).count() == 2  # setup + first period
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("64.00")  # 100 − 36, once
    assert_ledger_agrees(alice)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_pays_of_one_order_with_one_key_charge_once(alice: Any, pending_order: tuple[str, int]) -> None:
    raw, order_id = pending_order

    def pay(_i: int) -> Any:
        response = api(raw).post(f"/api/v1/orders/{order_id}/pay/", format="json", HTTP_IDEMPOTENCY_KEY="same")
        return response.status_code, response.get("Idempotent-Replayed", ""), response.data.get("code", "")

    answers = together(N_PAYS, pay)

    fresh = [a for a in answers if a == (200, "", "")]
    assert len(fresh) == 1, answers  # one request did the work…
    # …every other one replays its answer or is told the same request is still running
    assert all(a in ((200, "true", ""), (409, "", "conflict")) for a in answers if a not in fresh), answers
    assert_paid_once(alice, order_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_pays_of_one_order_with_different_keys_pay_once(alice: Any, pending_order: tuple[str, int]) -> None:
    raw, order_id = pending_order

    def pay(i: int) -> Any:
        response = api(raw).post(f"/api/v1/orders/{order_id}/pay/", format="json", HTTP_IDEMPOTENCY_KEY=f"key-{i}")
        order = response.data.get("details", {}).get("order", response.data)
        return response.status_code, order.get("status")

    answers = together(N_PAYS, pay)

    assert Counter(answers) == {(200, "paid"): 1, (409, "paid"): N_PAYS - 1}
    assert_paid_once(alice, order_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_extends_of_a_service_the_balance_pays_once_extend_it_once(
    alice_user: Any, alice: Any, vps_plan: Any
) -> None:
    # Given a balance that pays one period (10.00) within a 5.00 credit limit, not two
    alice.credit_limit = Decimal("5.00")
    alice.save(update_fields=["credit_limit"])
    post_entry(
        alice,
        amount=Decimal("-91.00"),
        kind=EntryKind.CORRECTION,
        key="down",
        description=Text.verbatim("-"),
        now=timezone.now(),
    )
    service = f.service(alice, vps_plan)
    _, raw = ApiToken.issue(alice_user, "t")
    expiry = service.expires_at

    def extend(_i: int) -> int:
        return api(raw).post(f"/api/v1/services/{service.pk}/renew/", {}, format="json").status_code

    answers = together(N_EXTENDS, extend)

    assert Counter(answers) == {200: 1, 402: N_EXTENDS - 1}
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("-1.00")  # 9 − 10, within the 5.00 credit limit
    after = LedgerEntry.objects.filter(client=alice).values_list("balance_after", flat=True)
    assert min(after) >= -alice.credit_limit  # never below it, at any step
    service.refresh_from_db()
    assert Expense.objects.filter(service=service, kind="period").count() == 1
    assert service.expires_at > expiry
    assert_ledger_agrees(alice)
