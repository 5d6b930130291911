"""Stripe, through the official ``stripe`` SDK: card payments, saved cards, off-session charges,
refunds and the signed webhook.

Card numbers never reach Openbill: the client types them into Stripe.js (loaded from Stripe,
``STRIPE_JS_URL``), which gives a SetupIntent a PaymentMethod; Openbill keeps only Stripe's ids
and charges the PaymentMethod with a PaymentIntent for exactly the payment's amount and currency,
with the payment's reference in its metadata and ``payment:<reference>`` as Stripe's
Idempotency-Key. Exactly-once does not lean on that key (a stand-in such as localstripe ignores
it): the payment row is claimed before the call, and a charge whose recording was lost is found
again among the customer's PaymentIntents by its metadata (``find_intent``).

Every call here is made outside any transaction; ``payments.actions`` records the answers.
Every call takes the provider's keys (``payments.gateway_accounts``: the staff pages, else the
environment); Stripe is on for a provider that has a secret key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy

from openbill.core.money import currency_places, round_amount
from openbill.core.urls import absolute_url

from .. import gateway_accounts
from ..gateway_accounts import StripeKeys, stripe_accounts, stripe_keys
from .base import Gateway, GatewayError, InvalidNotification, MalformedNotification, Notification, StartResult, register

if TYPE_CHECKING:
    from ..models import Payment

CODE = "stripe"
SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"
# The events Openbill acts on; the README lists them for the webhook endpoint's settings.
EVENTS = (SUCCEEDED, FAILED)
METADATA_PAYMENT = "openbill_payment"
METADATA_CLIENT = "openbill_client"
# A payment nobody finished (no card entered, 3-D Secure never confirmed) expires after this.
CHECKOUT_LIFETIME = timedelta(days=3)
TIMEOUT_SECONDS = 30


class CardRefused(GatewayError):
    """The card was declined or needs the client (``code``: Stripe's decline or error code)."""

    def __init__(self, message: str, *, code: str, intent: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.intent = intent


@dataclass(frozen=True)
class Intent:
    """What Openbill needs of a PaymentIntent."""

    id: str
    status: str  # succeeded, requires_action, requires_payment_method, processing, canceled…
    amount: Decimal
    currency: str
    reference: str
    client_secret: str
    error_code: str = ""

    @classmethod
    def of(cls, obj: Any) -> Intent:
        currency = str(obj["currency"]).upper()
        error = obj.get("last_payment_error") or {}
        return cls(
            id=str(obj["id"]),
            status=str(obj["status"]),
            amount=from_minor(int(obj["amount"]), currency),
            currency=currency,
            reference=str((obj.get("metadata") or {}).get(METADATA_PAYMENT, "")),
            client_secret=str(obj.get("client_secret") or ""),
            error_code=str(error.get("decline_code") or error.get("code") or ""),
        )


@dataclass(frozen=True)
class Card:
    id: str
    customer: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


def enabled(provider_id: int | None) -> bool:
    return stripe_keys(provider_id) is not None


def keys_for(provider_id: int | None) -> StripeKeys:
    keys = stripe_keys(provider_id)
    if keys is None:
        raise GatewayError("Stripe is not configured for this provider")
    return keys


def client(keys: StripeKeys) -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        keys.secret_key,
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def to_minor(amount: Decimal, currency: str) -> int:
    """Stripe counts in the currency's minor unit: 25.00 USD is 2500, 500 JPY is 500."""
    return int(round_amount(amount, currency).scaleb(currency_places(currency)))


def from_minor(value: int, currency: str) -> Decimal:
    return round_amount(Decimal(value).scaleb(-currency_places(currency)), currency)


def _call(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call the SDK; its answer as plain dicts and lists (what the rest of Openbill reads)."""
    try:
        result = fn(*args, **kwargs)
        return result.to_dict() if hasattr(result, "to_dict") else dict(result)
    except stripe.CardError as exc:
        error = exc.error
        code = str(getattr(error, "decline_code", None) or getattr(error, "code", None) or "card_declined")
        intent = getattr(error, "payment_intent", None)
        if intent is not None and hasattr(intent, "to_dict"):
            intent = intent.to_dict()
        raise CardRefused(exc.user_message or str(exc), code=code, intent=intent) from None
    except stripe.StripeError as exc:
        raise GatewayError(exc.user_message or str(exc) or exc.__class__.__name__) from None


def create_customer(keys: StripeKeys, *, email: str, name: str, client_id: int, idempotency_key: str) -> str:
    customer = _call(
        client(keys).v1.customers.create,
        params={"email": email, "name": name, "metadata": {METADATA_CLIENT: str(client_id)}},
        options={"idempotency_key": idempotency_key},
    )
    return str(customer["id"])


def create_setup_intent(keys: StripeKeys, customer: str, *, client_id: int) -> tuple[str, str]:
    """A SetupIntent for a new card, usable off-session later. Returns (id, client secret)."""
    intent = _call(
        client(keys).v1.setup_intents.create,
        params={"customer": customer, "usage": "off_session", "metadata": {METADATA_CLIENT: str(client_id)}},
    )
    return str(intent["id"]), str(intent["client_secret"])


def confirmed_card(keys: StripeKeys, setup_intent_id: str, *, customer: str) -> Card:
    """The card a SetupIntent of this customer set up, attached to the customer.

    Refuses a SetupIntent of another customer, or one that has not succeeded (the browser's word
    that it did is not taken)."""
    api = client(keys).v1
    intent = _call(api.setup_intents.retrieve, setup_intent_id)
    if intent.get("customer") != customer or intent.get("status") != "succeeded" or not intent.get("payment_method"):
        raise GatewayError("the card was not set up")
    method_id = intent["payment_method"]
    if isinstance(method_id, dict):
        method_id = method_id["id"]
    method = _call(api.payment_methods.retrieve, method_id)
    if not method.get("customer"):
        method = _call(api.payment_methods.attach, method_id, params={"customer": customer})
    if method.get("customer") != customer:
        raise GatewayError("the card belongs to another customer")
    card = method.get("card") or {}
    return Card(
        id=str(method["id"]),
        customer=customer,
        brand=str(card.get("brand") or ""),
        last4=str(card.get("last4") or ""),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
    )


def detach_card(keys: StripeKeys, method_id: str) -> None:
    _call(client(keys).v1.payment_methods.detach, method_id)


def create_intent(keys: StripeKeys, payment: Payment, *, customer: str, method: str, off_session: bool) -> Intent:
    """Charge ``method`` for exactly the payment: confirmed at once, on or off session.

    A card that needs the client's authentication comes back ``requires_action`` (or, off
    session at Stripe, as a CardRefused with code ``authentication_required``)."""
    params: dict[str, Any] = {
        "amount": to_minor(payment.amount, payment.currency),
        "currency": payment.currency.lower(),
        "customer": customer,
        "payment_method": method,
        "confirm": True,
        "metadata": {METADATA_PAYMENT: str(payment.reference), METADATA_CLIENT: str(payment.client_id)},
    }
    if off_session:
        params["off_session"] = True
    intent = _call(
        client(keys).v1.payment_intents.create,
        params=params,
        options={"idempotency_key": f"payment:{payment.reference}"},
    )
    return Intent.of(intent)


def retrieve_intent(keys: StripeKeys, intent_id: str) -> Intent:
    return Intent.of(_call(client(keys).v1.payment_intents.retrieve, intent_id))


def cancel_intent(keys: StripeKeys, intent_id: str) -> Intent:
    """Cancel a PaymentIntent nobody finished; refused (GatewayError) once it succeeded."""
    return Intent.of(_call(client(keys).v1.payment_intents.cancel, intent_id))


def find_intent(keys: StripeKeys, customer: str, reference: str) -> Intent | None:
    """The customer's PaymentIntent made for the payment ``reference`` (a charge whose recording
    was lost: the worker died between Stripe's answer and the commit)."""
    page = _call(client(keys).v1.payment_intents.list, params={"customer": customer, "limit": 100})
    for obj in page["data"]:
        if (obj.get("metadata") or {}).get(METADATA_PAYMENT) == reference:
            return Intent.of(obj)
    return None


def recent_charges(keys: StripeKeys, since: int) -> list[dict[str, Any]]:
    """Stripe's successful charges created after ``since`` (a Unix time): id, intent, amount."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"created": {"gt": since}, "limit": 100}
    while True:
        page = _call(client(keys).v1.charges.list, params=params)
        for charge in page["data"]:
            if charge.get("status") == "succeeded":
                currency = str(charge["currency"]).upper()
                found.append(
                    {
                        "id": str(charge["id"]),
                        "payment_intent": str(charge.get("payment_intent") or ""),
                        "amount": from_minor(int(charge["amount"]), currency),
                        "currency": currency,
                    }
                )
        if not page.get("has_more") or not page["data"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]


def verify_event(body: bytes, signature: str, secrets: list[str]) -> tuple[Any, str]:
    """The event and the signing secret it was signed with, if Stripe signed it with one of the
    endpoints' secrets (each provider's account has its own), and recently."""
    if not secrets:
        raise InvalidNotification("no webhook secret is configured")
    for secret in secrets:
        try:
            return stripe.Webhook.construct_event(body, signature, secret).to_dict(), secret
        except stripe.SignatureVerificationError:
            continue
        except ValueError:
            raise MalformedNotification("malformed") from None
    raise InvalidNotification("wrong signature")


def parse_event(body: bytes, signature: str, secrets: list[str]) -> tuple[Notification, str]:
    """A signed event about a PaymentIntent, and the signing secret that verified it."""
    event, secret = verify_event(body, signature, secrets)
    try:
        kind = str(event["type"])
        obj = event["data"]["object"]
        if kind not in EVENTS:
            raise MalformedNotification(f"event type {kind[:60]!r} is not handled")
        intent = Intent.of(obj)
    except (KeyError, TypeError, ValueError):
        raise MalformedNotification("malformed") from None
    notification = Notification(
        event_id=str(event["id"]),
        reference=intent.reference,
        amount=intent.amount,
        currency=intent.currency,
        succeeded=kind == SUCCEEDED,
        payload={"type": kind, "payment_intent": intent.id, "status": intent.status},
    )
    return notification, secret


@register
class StripeGateway(Gateway):
    code = CODE
    label = gettext_lazy("Card (Stripe)")
    supports_refund = True

    @classmethod
    def enabled(cls, provider_id: int | None) -> bool:
        return enabled(provider_id)

    @classmethod
    def accepts(cls, provider_id: int | None, currency: str) -> bool:
        return gateway_accounts.accepts(provider_id, gateway_accounts.STRIPE, currency)

    @classmethod
    def checkout_lifetime(cls) -> timedelta:
        # Long enough for a client emailed about 3-D Secure at renewal to act on the link.
        return CHECKOUT_LIFETIME

    def cancel_checkout(self, payment: Payment) -> None:
        if payment.provider_status.startswith("charging"):
            raise GatewayError("being charged: left to the reconciliation of stale claims")
        if payment.provider_id:
            cancel_intent(keys_for(payment.client.provider_id), payment.provider_id)

    def start(self, payment: Payment, *, return_url: str) -> StartResult:
        # Openbill's own page, where Stripe.js takes the card (and 3-D Secure when asked).
        return StartResult(redirect_url=absolute_url(reverse("clientarea:payment_card", args=[payment.pk])))

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        secrets = sorted({keys.webhook_secret for _pk, keys in stripe_accounts() if keys.webhook_secret})
        return parse_event(body, headers.get("Stripe-Signature", ""), secrets)[0]

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        """Give ``amount`` back to the card. A refund already made under this key (the task ran
        before and its answer was lost) is found by its metadata and not made again."""
        if not payment.provider_id:
            raise GatewayError("the payment has no Stripe charge")
        api = client(keys_for(payment.client.provider_id)).v1
        existing = _call(api.refunds.list, params={"payment_intent": payment.provider_id, "limit": 100})
        for refund in existing["data"]:
            if (refund.get("metadata") or {}).get("openbill_refund") == idempotency_key:
                return str(refund["id"])
        refund = _call(
            api.refunds.create,
            params={
                "payment_intent": payment.provider_id,
                "amount": to_minor(amount, payment.currency),
                "metadata": {"openbill_refund": idempotency_key},
            },
            options={"idempotency_key": idempotency_key},
        )
        if refund.get("status") not in ("succeeded", "pending"):
            raise GatewayError(f"refund {refund.get('status')}")
        return str(refund["id"])
