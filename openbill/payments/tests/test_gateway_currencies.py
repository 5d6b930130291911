"""Gateways per currency: a provider limits Stripe or PayPal to some ISO 4217 codes (staff page, or
STRIPE_CURRENCIES / PAYPAL_CURRENCIES for the environment's account); a client paying in another
currency is not offered it, cannot pay with it through the API, and autopay leaves its card alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.api.tests.conftest import token_client
from openbill.billing.models import LedgerEntry
from openbill.core.tests import factories as f
from openbill.payments import cards
from openbill.payments.gateway_accounts import PAYPAL, accepts
from openbill.payments.models import GatewayAccount, GatewayAccountChange, Payment

from .test_gateway_accounts import HOOK_SECRET, SECRET, _save_stripe, _staff_client
from .test_stripe import saved_card

pytestmark = pytest.mark.django_db


def _stripe_for_eur_only(provider: Any, staff: Any) -> None:
    response = _save_stripe(
        _staff_client(staff), provider, secret_key=SECRET, webhook_secret=HOOK_SECRET, currencies="eur"
    )
    assert response.status_code == 302


def _eur_client() -> Any:
    """A client of a provider that bills in EUR (a client pays in its provider's currency)."""
    return f.client(f.provider("Euro Hosting", currency="EUR"), "eve@test.test")


def _offered_on_page(client: Any) -> tuple[bool, int]:
    http = HttpClient()
    http.force_login(client.memberships.get().user)
    topup = http.get("/finances/topup/").content.decode()
    return 'value="stripe"' in topup, http.get("/finances/payment-methods/").status_code


def _api_methods(client: Any) -> list[str]:
    answer = token_client(client.memberships.get().user).get("/api/v1/payment-methods/")
    assert answer.status_code == 200
    return [m["code"] for m in answer.json()["results"]]


def test_staff_limit_a_gateway_to_currencies_and_a_bad_code_is_refused(provider: Any, staff: Any) -> None:
    http = _staff_client(staff)
    response = _save_stripe(http, provider, secret_key=SECRET, webhook_secret=HOOK_SECRET, currencies="eur, usd,EUR")
    assert response.status_code == 302
    account = GatewayAccount.objects.get(provider=provider, gateway="stripe")
    assert account.settings["currencies"] == ["EUR", "USD"]
    assert 'value="EUR, USD"' in http.get(f"/staff/payments/gateways/{provider.pk}/").content.decode()
    # Not ISO 4217, and a currency PayPal does not take: refused, nothing saved or recorded.
    response = _save_stripe(http, provider, currencies="EUR, XYZ")
    assert response.status_code == 400
    assert "XYZ is not an ISO 4217 currency code." in response.content.decode()
    response = http.post(
        f"/staff/payments/gateways/{provider.pk}/",
        {"gateway": "paypal", "client_id": "id", "client_secret": "secret", "webhook_id": "wh", "currencies": "ISK"},
    )
    assert response.status_code == 400
    assert "PayPal does not take ISK." in response.content.decode()
    account.refresh_from_db()
    assert account.settings["currencies"] == ["EUR", "USD"]
    assert list(GatewayAccount.objects.values_list("gateway", flat=True)) == ["stripe"]
    assert GatewayAccountChange.objects.count() == 1
    # Emptied: every currency again (the change recorded).
    assert _save_stripe(http, provider, currencies="").status_code == 302
    account.refresh_from_db()
    assert "currencies" not in account.settings
    assert GatewayAccountChange.objects.order_by("-id").values_list("fields", flat=True)[0] == ["currencies"]


def test_stripe_limited_to_eur_is_offered_to_a_eur_client_and_not_to_a_usd_one(
    alice: Any, provider: Any, staff: Any, stripe_on: Any
) -> None:
    eve = _eur_client()
    assert _offered_on_page(alice) == (True, 200) and "stripe" in _api_methods(alice)
    _stripe_for_eur_only(provider, staff)
    _stripe_for_eur_only(eve.provider, staff)
    assert _offered_on_page(eve) == (True, 200)
    assert "stripe" in _api_methods(eve)
    assert _offered_on_page(alice) == (False, 404)  # top-up (and order checkout) and saved cards page
    assert "stripe" not in _api_methods(alice) and "card" in _api_methods(alice)


def test_the_environments_stripe_currencies_limit_it_too(
    alice: Any, provider: Any, stripe_on: Any, settings: Any
) -> None:
    eve = _eur_client()
    settings.STRIPE_CURRENCIES = "EUR, GBP"
    assert "stripe" not in _api_methods(alice) and "stripe" in _api_methods(eve)
    settings.STRIPE_CURRENCIES = "usd"
    assert "stripe" in _api_methods(alice) and "stripe" not in _api_methods(eve)
    settings.STRIPE_CURRENCIES = "XYZ"  # only a bad code: taken in no currency (and logged)
    assert "stripe" not in _api_methods(alice) and "stripe" not in _api_methods(eve)


def test_paying_through_the_api_with_a_gateway_that_does_not_take_the_currency_is_400(
    alice: Any, provider: Any, staff: Any, stripe_on: Any
) -> None:
    _stripe_for_eur_only(provider, staff)
    api = token_client(alice.memberships.get().user)
    response = api.post("/api/v1/payments/", {"method": "stripe", "amount": "10.00"}, format="json")
    assert response.status_code == 400
    assert response.json()["method"] == ["This payment method does not take USD."]
    assert not Payment.objects.exists()
    eve = _eur_client()
    _stripe_for_eur_only(eve.provider, staff)
    answer = token_client(eve.memberships.get().user).post(
        "/api/v1/payments/", {"method": "stripe", "amount": "10.00"}, format="json"
    )
    assert answer.status_code == 201
    assert list(Payment.objects.values_list("client_id", "method", "amount", "currency")) == [
        (eve.pk, "stripe", Decimal("10.00"), "EUR")
    ]


def test_autopay_leaves_a_card_whose_gateway_no_longer_takes_the_currency(
    vps_plan: Any, provider: Any, stripe_on: Any, settings: Any
) -> None:
    now = timezone.now()
    carol = f.client(provider, "carol@test.test", balance="4.00")
    service = f.service(carol, vps_plan, expires_at=f.due_today(carol, now))
    saved_card(carol)
    assert [(p.amount, p.service_id) for p in cards.plan_autopay(now)] == [(Decimal("6.00"), service.pk)]
    assert cards.autopay_card(carol, service.pk, service.expires_at) is not None
    ledger = list(LedgerEntry.objects.filter(client=carol).values_list("key", "amount"))
    settings.STRIPE_CURRENCIES = "EUR"  # Stripe no longer takes the client's USD
    assert cards.plan_autopay(now) == []
    assert cards.run_autopay(now).get("credited", 0) == 0
    assert cards.autopay_card(carol, service.pk, service.expires_at) is None  # the usual notice instead
    assert not Payment.objects.exists()
    carol.refresh_from_db()
    assert carol.balance_amount == Decimal("4.00")
    assert list(LedgerEntry.objects.filter(client=carol).values_list("key", "amount")) == ledger


def test_paypal_takes_only_its_currencies_and_paypal_currencies_limits_it(settings: Any) -> None:
    assert [accepts(None, PAYPAL, c) for c in ("USD", "EUR", "ISK", "RUB")] == [True, True, False, False]
    settings.PAYPAL_CURRENCIES = "EUR"
    assert [accepts(None, PAYPAL, c) for c in ("USD", "EUR")] == [False, True]
