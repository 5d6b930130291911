"""Each provider's Stripe and PayPal keys, set by staff: stored encrypted, never shown back,
audited, used by the client's checkout (against localstripe), the environment as fallback."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.api.tests.conftest import token_client
from openbill.core.tests import factories as f
from openbill.payments import actions, cards
from openbill.payments.gateway_accounts import stripe_keys
from openbill.payments.models import GatewayAccount, GatewayAccountChange, PaymentStatus

from .stripe_helpers import CARD_OK, browser_sets_up_card, deliver, signed
from .test_stripe import stripe_payment

pytestmark = pytest.mark.django_db

SECRET = "sk_test_provider_own_9876"
HOOK_SECRET = "whsec_provider_own_5555"


def _staff_client(staff: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(staff)
    return http


def _save_stripe(http: HttpClient, provider: Any, **values: str) -> Any:
    data = {"gateway": "stripe", "enabled": "1", "publishable_key": "pk_test_provider", **values}
    return http.post(f"/staff/payments/gateways/{provider.pk}/", data)


def test_staff_save_stripe_keys_encrypted_never_shown_back_and_audited(provider: Any, staff: Any) -> None:
    http = _staff_client(staff)
    response = _save_stripe(http, provider, secret_key=SECRET, webhook_secret=HOOK_SECRET)
    assert response.status_code == 302
    account = GatewayAccount.objects.get(provider=provider, gateway="stripe")
    assert SECRET not in account.secrets_encrypted and HOOK_SECRET not in account.secrets_encrypted
    assert SECRET not in str(account.settings) and account.settings["publishable_key"] == "pk_test_provider"
    page = http.get(f"/staff/payments/gateways/{provider.pk}/").content.decode()
    assert SECRET not in page and HOOK_SECRET not in page
    assert "set, ending 9876" in page and "set, ending 5555" in page
    assert "/pay/stripe/webhook/" in page
    # Saved again with the secrets left empty: they are kept; only what changed is recorded.
    assert _save_stripe(http, provider, publishable_key="pk_test_other").status_code == 302
    keys = stripe_keys(provider.pk)
    assert keys is not None and (keys.secret_key, keys.webhook_secret, keys.publishable_key, keys.source) == (
        SECRET,
        HOOK_SECRET,
        "pk_test_other",
        "staff",
    )
    changes = list(GatewayAccountChange.objects.order_by("id").values_list("changed_by", "fields"))
    assert changes == [
        (staff.email, ["created", "publishable_key", "secret_key", "webhook_secret", "enabled"]),
        (staff.email, ["publishable_key"]),
    ]
    page = http.get(f"/staff/payments/gateways/{provider.pk}/").content.decode()
    assert "created, publishable_key, secret_key, webhook_secret, enabled" in page


def test_a_key_of_the_wrong_kind_or_missing_is_refused_and_nothing_is_saved(provider: Any, staff: Any) -> None:
    http = _staff_client(staff)
    response = _save_stripe(http, provider, secret_key="pk_live_wrong", webhook_secret=HOOK_SECRET)
    assert response.status_code == 400
    response = _save_stripe(http, provider, secret_key=SECRET)  # no webhook secret: cannot switch on
    assert response.status_code == 400
    assert not GatewayAccount.objects.exists() and not GatewayAccountChange.objects.exists()


def test_a_client_cannot_reach_the_gateway_page_nor_change_it(provider: Any, alice_user: Any) -> None:
    http = HttpClient()
    http.force_login(alice_user)
    for url in ("/staff/payments/gateways/", f"/staff/payments/gateways/{provider.pk}/"):
        response = http.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    _save_stripe(http, provider, secret_key=SECRET, webhook_secret=HOOK_SECRET)
    assert not GatewayAccount.objects.exists()


def test_checkout_uses_the_keys_staff_saved_against_localstripe(
    alice: Any, provider: Any, staff: Any, stripe_on: Any, settings: Any
) -> None:
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""  # nothing in the environment
    assert "stripe" not in [m.code for m in actions.available_methods(provider.pk)]
    _save_stripe(_staff_client(staff), provider, secret_key=SECRET, webhook_secret=HOOK_SECRET)
    assert "stripe" in [m.code for m in actions.available_methods(provider.pk)]
    payment = stripe_payment(alice)
    outcome = cards.pay_with_card(payment, now=timezone.now(), setup_intent_id=browser_sets_up_card(alice, CARD_OK))
    assert outcome == "credited"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and payment.provider_id.startswith("pi_")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")
    # The page gives Stripe.js the provider's publishable key.
    http = HttpClient()
    http.force_login(alice.memberships.get().user)
    second = stripe_payment(alice, "5.00")
    assert 'data-key="pk_test_provider"' in http.get(f"/finances/payments/{second.pk}/card/").content.decode()
    # So does the API's card setup.
    answer = token_client(alice.memberships.get().user).post("/api/v1/cards/setup/")
    assert answer.status_code == 201 and answer.json()["publishable_key"] == "pk_test_provider"


def test_a_webhook_is_taken_only_with_the_signing_secret_of_the_payments_provider(
    alice: Any, provider: Any, staff: Any, stripe_on: Any, settings: Any
) -> None:
    f.provider("Other host")  # has no account of its own: uses the environment's
    _save_stripe(_staff_client(staff), provider, secret_key=SECRET, webhook_secret=HOOK_SECRET)
    payment = stripe_payment(alice)
    body = (
        '{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_x", "object": '
        '"payment_intent", "status": "succeeded", "amount": 2500, "currency": "usd", "metadata": '
        f'{{"openbill_payment": "{payment.reference}"}}}}}}}}'
    ).encode()
    # Signed with the environment's secret (another account, used by providers without their own).
    assert deliver(body, signed(body, settings.STRIPE_WEBHOOK_SECRET)).json() == {"result": "other account"}
    assert deliver(body, signed(body, "whsec_nobody")).status_code == 400
    assert deliver(body, signed(body, HOOK_SECRET)).json() == {"result": "credited"}
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("125.00")


def test_switched_off_by_staff_stripe_is_off_whatever_the_environment_says(
    alice: Any, provider: Any, staff: Any, stripe_on: Any
) -> None:
    assert stripe_keys(provider.pk) is not None and stripe_keys(provider.pk).source == "environment"  # type: ignore[union-attr]
    http = _staff_client(staff)
    http.post(f"/staff/payments/gateways/{provider.pk}/", {"gateway": "stripe"})  # saved, switched off
    assert stripe_keys(provider.pk) is None
    assert "stripe" not in [m.code for m in actions.available_methods(provider.pk)]
