"""Orders → "Paid services": every paid order's services, not only this session's, newest first,
a page at a time."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.orders.models import LineKind, Order, OrderLine, OrderStatus

pytestmark = pytest.mark.django_db


def _paid_order(service: Any, paid_at: Any) -> None:
    amount = Decimal("10.00")
    order = Order.objects.create(
        client=service.client,
        status=OrderStatus.PAID,
        total_amount=amount,
        currency="USD",
        created_at=paid_at,
        paid_at=paid_at,
    )
    OrderLine.objects.create(
        client=service.client,
        order=order,
        service=service,
        kind=LineKind.NEW,
        period="month",
        period_amount=amount,
        amount=amount,
        currency="USD",
        description=Text.verbatim(service.name),
        created_at=paid_at,
        paid_at=paid_at,
    )


def _paid_ids(html: str) -> list[int]:
    block = html[html.index('data-testid="paid"') :]
    return [int(pk) for pk in re.findall(r'<tr data-service-id="(\d+)">', block)]


def test_paid_services_lists_every_paid_order_newest_first_a_page_at_a_time(
    alice: Any, bob: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    now = timezone.now()
    # 23 services paid over the last months (a new session, nothing bought in it), one unpaid,
    # and Bob's.
    services = [f.service(alice, vps_plan, name=f"Server {n}") for n in range(23)]
    # Paid in an order unlike their ids: service n was paid (7n mod 23) + 1 days ago.
    days_ago = {service.pk: (n * 7) % 23 + 1 for n, service in enumerate(services)}
    for service in services:
        _paid_order(service, now - timedelta(days=days_ago[service.pk]))
    f.service(alice, vps_plan, name="Unpaid", status="ordered")
    _paid_order(f.service(bob, vps_plan, name="Bob's"), now)

    first = alice_http.get("/orders/").content.decode()
    second = alice_http.get("/orders/?page=2").content.decode()

    newest_first = sorted(days_ago, key=days_ago.__getitem__)
    assert _paid_ids(first) == newest_first[:20]
    assert _paid_ids(second) == newest_first[20:]
    assert "Page 1 of 2" in first
