"""Automatic card payment at renewal, exactly once while sweeps and Stripe's webhook race
(PostgreSQL, localstripe): the double renewal of FOSSBilling #3106 cannot happen."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, Expense, ExpenseKind, LedgerEntry
from openbill.core.tests import factories as f
from openbill.core.tests.concurrency import together
from openbill.payments import cards
from openbill.payments.gateways import stripe_gateway as gw
from openbill.payments.models import Payment, PaymentEvent, PaymentStatus
from openbill.services import sweeps

from .stripe_helpers import browser_sets_up_card, claimed_autopay, deliver


def _due_client_with_card(vps_plan: Any) -> tuple[Any, Any, Any]:
    now = timezone.now()
    carol = f.client(vps_plan.product_type.provider, "carol@test.test", balance="3.00")
    service = f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    card = cards.save_card(carol, browser_sets_up_card(carol), make_default=True, now=now)
    return carol, service, card


def _assert_once(carol: Any, service: Any, expires_before: Any) -> None:
    payment = Payment.objects.get()
    assert (payment.status, payment.amount) == (PaymentStatus.COMPLETED, Decimal("7.00"))
    customer = cards.customer_id(carol, now=timezone.now())
    assert len(gw.client(gw.keys_for(None)).v1.payment_intents.list(params={"customer": customer}).data) == 1
    assert list(
        LedgerEntry.objects.filter(client=carol, kind=EntryKind.PAYMENT, key__startswith="payment:").values_list(
            "key", "amount"
        )
    ) == [(f"payment:{payment.pk}", Decimal("7.00"))]
    assert Expense.objects.filter(service=service, kind=ExpenseKind.PERIOD).count() == 1
    service.refresh_from_db()
    assert expires_before < service.expires_at < expires_before + timedelta(days=32)
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("0.00")
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_and_the_webhook_racing_charge_the_card_and_renew_once(vps_plan: Any, sink: Any) -> None:
    carol, service, _card = _due_client_with_card(vps_plan)
    expires = service.expires_at
    now = timezone.now()

    def webhook() -> list[int]:
        return [deliver(body, signature).status_code for body, signature in sink.events(gw.SUCCEEDED)]

    outcomes = together(lambda: cards.run_autopay(now), lambda: cards.run_autopay(now), webhook)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes[2] == [200]
    # Exactly one of the two sweeps charged the card (the other found the renewal's payment).
    assert sum(o.get("credited", 0) + o.get("already credited", 0) for o in outcomes[:2]) == 1
    # The renew sweep, twice at once, and the autopay again: nothing more is charged anywhere.
    outcomes = together(lambda: sweeps.run_now(now), lambda: sweeps.run_now(now), lambda: cards.run_autopay(now))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    _assert_once(carol, service, expires)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_charge_recorded_by_two_restarted_sweeps_and_the_webhook_at_once_credits_once(
    vps_plan: Any, sink: Any
) -> None:
    carol, service, card = _due_client_with_card(vps_plan)
    expires = service.expires_at
    now = timezone.now()
    payment = claimed_autopay(carol, card, now - timedelta(minutes=30), charged=True)  # then the worker died
    [(body, signature)] = sink.events(gw.SUCCEEDED)
    outcomes = together(
        lambda: cards.run_autopay(now), lambda: cards.run_autopay(now), lambda: deliver(body, signature).status_code
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes[2] == 200
    assert PaymentEvent.objects.filter(payment=payment, kind="succeeded").count() >= 1
    sweeps.run_now(now)
    _assert_once(carol, service, expires)
