"""Stripe against localstripe: the server, switched-on settings, a webhook sink, and what
Stripe.js would do in the client's browser (set up a card, pass 3-D Secure)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.test import Client as HttpClient
from django.utils import timezone
from pytest_httpserver import HTTPServer

from openbill.payments import cards
from openbill.payments.gateways import stripe_gateway as gw
from openbill.payments.testing.localstripe import LocalStripe

WEBHOOK_SECRET = "whsec_openbill_tests"
CARD_OK = "4242424242424242"
CARD_3DS = "4000002760003184"  # asks for 3-D Secure
CARD_DECLINED_ON_CHARGE = "4000000000000341"  # saves, then every charge is declined

_SERVER: LocalStripe | None = None


def server() -> LocalStripe:
    global _SERVER
    if _SERVER is None:
        _SERVER = LocalStripe().start()
    return _SERVER


@pytest.fixture
def stripe_on(settings: Any) -> Iterator[LocalStripe]:
    ls = server()
    ls.flush()
    settings.STRIPE_SECRET_KEY = "sk_test_openbill"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_openbill"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = ls.base
    settings.STRIPE_JS_URL = ls.js_url
    yield ls
    ls.flush()


class Sink:
    """Stripe's webhook deliveries, caught as sent (body and signature) to be replayed."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.httpserver = httpserver
        httpserver.expect_request("/hook").respond_with_data("ok")

    def events(self, kind: str, count: int = 1, timeout: float = 15) -> list[tuple[bytes, str]]:
        """The ``kind`` events about this test's payments (an event an earlier test caused may
        arrive late: localstripe sends each about a second after it happens)."""
        from openbill.payments.models import Payment

        deadline = time.monotonic() + timeout
        while True:
            found = []
            for req, _resp in self.httpserver.log:
                event = json.loads(req.get_data())
                reference = (event["data"]["object"].get("metadata") or {}).get(gw.METADATA_PAYMENT, "")
                if event["type"] == kind and reference and Payment.objects.filter(reference=reference).exists():
                    found.append((req.get_data(), req.headers.get("Stripe-Signature", "")))
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@pytest.fixture
def sink(stripe_on: LocalStripe, httpserver: HTTPServer) -> Sink:
    stripe_on.register_webhook(httpserver.url_for("/hook"), WEBHOOK_SECRET)
    return Sink(httpserver)


def deliver(body: bytes, signature: str) -> Any:
    return HttpClient().post(
        "/pay/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def browser_sets_up_card(client: Any, number: str = CARD_OK) -> str:
    """What Stripe.js does with the card form: confirm the SetupIntent with the card's details
    (at Stripe, never at Openbill). Returns the SetupIntent's id."""
    setup_id, secret = cards.start_card_setup(client, now=timezone.now())
    api = gw.client(gw.keys_for(client.provider_id)).v1
    intent = api.setup_intents.confirm(
        setup_id,
        params={
            "client_secret": secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
            },
        },
    )
    if intent.status == "requires_action":  # the card's bank asks for 3-D Secure: the client confirms
        api.setup_intents.confirm(setup_id, params={"client_secret": secret})
    return setup_id


def browser_authenticates(ls: LocalStripe, intent_id: str, *, success: bool = True) -> None:
    """What Stripe.js's 3-D Secure dialog does at localstripe when the client confirms."""
    secret = gw.retrieve_intent(gw.keys_for(None), intent_id).client_secret
    response = requests.post(
        f"{ls.base}/v1/payment_intents/{intent_id}/_authenticate?success={'true' if success else 'false'}",
        json={"key": "pk_test_openbill", "client_secret": secret},
        timeout=10,
    )
    response.raise_for_status()


def signed(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's signature scheme, for events built by the test (a changed amount, a forgery)."""
    import hashlib
    import hmac

    stamp = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def claimed_autopay(client: Any, card: Any, at: Any, *, charged: bool) -> Any:
    """What the automatic payment does up to the moment its worker dies: the renewal's payment
    made and claimed at ``at`` and, when ``charged``, Stripe charged — nothing recorded."""
    from openbill.payments.models import Payment

    [item] = cards.plan_autopay(at)
    payment = Payment.objects.create(
        client=client,
        method="stripe",
        amount=item.amount,
        currency=item.currency,
        request_key=item.key,
        saved_card=card,
        service_id=item.service_id,
        created_at=at,
    )
    assert cards._claim(payment, seen="", claim=cards._claim_of(at))
    if charged:
        customer = cards.customer_id(client, now=at)
        gw.create_intent(gw.keys_for(None), payment, customer=customer, method=card.provider_id, off_session=True)
    return payment
