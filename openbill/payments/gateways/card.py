"""A TEST card gateway that works like a hosted payment page (Stripe Checkout, PayPal, YooKassa…).

No real card is ever charged: the "provider" is a stand-in served by Openbill itself, so anyone
who can reach it can credit their own balance. It is therefore OFF unless the setting
``OPENBILL_CARD_TEST_MODE`` is on (``make run``'s demo and the tests switch it on); when off, the
method is not offered and its checkout and callback URLs answer 404.

The merchant half is the template for a real gateway: point ``start`` at the provider's own
checkout, keep ``parse_notification`` (signature, timestamp tolerance) and ``refund``
(one HTTP call with an idempotency key, made outside any transaction).

Two halves, kept apart as they would be across the Internet:

* the merchant side (``CardGateway``), which Openbill uses: ``start`` sends the client to the
  provider's checkout page with a signed description of the payment; ``parse_notification``
  accepts only notifications whose HMAC-SHA256 signature matches the shared secret;
* the provider side (``checkout_token`` … ``send_notification``), a stand-in for the provider's
  own site, served under ``/pay/card/``: after the card form it POSTs the signed notification
  over HTTP to Openbill's callback URL, exactly as a real provider's server would, and sends
  the client back. Openbill credits the payment on that notification alone.

The shared secret is ``OPENBILL_CARD_SECRET`` (setting or environment); without it one is
derived from SECRET_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy

from openbill.core.money import round_amount
from openbill.core.urls import absolute_url

from .base import Gateway, GatewayError, InvalidNotification, MalformedNotification, Notification, StartResult, register

if TYPE_CHECKING:
    from ..models import Payment

SIGNATURE_HEADER = "X-Card-Signature"
# The event types the stand-in provider sends; both carry the payment's amount and currency.
SUCCEEDED = "payment.succeeded"
FAILED = "payment.failed"
CHECKOUT_SALT = "openbill.payments.card.checkout"
# A notification signed longer ago (or further ahead) than this is refused: a replay of an
# event Openbill never recorded (a recorded one is already deduplicated by its id).
TOLERANCE_SECONDS = 300
# Card numbers the stand-in provider declines (as test cards of real providers do), with the
# reason it gives (the failure codes of real providers).
DECLINED_CARDS: dict[str, str] = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
}


def secret() -> bytes:
    configured = getattr(settings, "OPENBILL_CARD_SECRET", "") or os.environ.get("OPENBILL_CARD_SECRET", "")
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"openbill-card-gateway", hashlib.sha256).hexdigest().encode()


def sign(body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@register
class CardGateway(Gateway):
    code = "card"
    label = gettext_lazy("Card (test gateway)")
    supports_refund = True

    @classmethod
    def enabled(cls, provider_id: int | None = None) -> bool:
        return bool(getattr(settings, "OPENBILL_CARD_TEST_MODE", False))

    @classmethod
    def checkout_lifetime(cls) -> timedelta:
        # The stand-in provider's page has no API to cancel: an expired checkout is failed here
        # and a late notification is still credited.
        return timedelta(minutes=settings.OPENBILL_CARD_CHECKOUT_MINUTES)

    def start(self, payment: Payment, *, return_url: str) -> StartResult:
        notify_url = getattr(settings, "OPENBILL_CARD_NOTIFY_URL", "") or absolute_url(reverse("payments:card_notify"))
        token = checkout_token(
            reference=str(payment.reference),
            amount=f"{round_amount(payment.amount, payment.currency):f}",
            currency=payment.currency,
            description=f"{payment.client.provider.name} #{payment.pk}",
            notify_url=notify_url,
            return_url=return_url,
        )
        return StartResult(redirect_url=absolute_url(reverse("payments:card_checkout", args=[token])))

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        header = headers.get(SIGNATURE_HEADER, "")
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError:
            raise InvalidNotification("unsigned") from None
        expected = sign(body, timestamp)
        if not hmac.compare_digest(expected.encode(), header.encode()):
            raise InvalidNotification("wrong signature")
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise InvalidNotification("timestamp outside the tolerance")
        try:
            data = json.loads(body)
            kind = data["type"]
            amount = Decimal(str(data["amount"]))
            notification = Notification(
                event_id=str(data["id"]),
                reference=str(data["reference"]),
                amount=amount,
                currency=str(data["currency"]),
                succeeded=kind == SUCCEEDED,
                payload=data,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise MalformedNotification("malformed") from None
        # Only the two outcomes of a payment move it; any other event (a refund, a dispute) is
        # not "failed" and must not mark a pending payment failed.
        if kind not in (SUCCEEDED, FAILED):
            raise MalformedNotification(f"event type {str(kind)[:40]!r} is not handled")
        return notification

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        # The stand-in provider accepts refunds of what it took; a real one is an HTTP call
        # made here, outside any transaction, with ``idempotency_key``.
        if amount <= 0 or amount > payment.amount:
            raise GatewayError("refund amount out of range")
        return "re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


# --- the provider's side (stand-in for its hosted checkout) ---------------------------------


def checkout_token(**fields: str) -> str:
    return signing.dumps(fields, key=secret().decode(), salt=CHECKOUT_SALT)


def read_checkout_token(token: str) -> dict[str, Any]:
    try:
        data = signing.loads(token, key=secret().decode(), salt=CHECKOUT_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        raise InvalidNotification("bad checkout token") from None
    if not isinstance(data, dict):
        raise InvalidNotification("bad checkout token")
    return data


def notification_body(
    checkout: Mapping[str, Any], *, succeeded: bool, event_id: str | None = None, failure_code: str = ""
) -> bytes:
    event: dict[str, Any] = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": SUCCEEDED if succeeded else FAILED,
        "reference": checkout["reference"],
        "amount": checkout["amount"],
        "currency": checkout["currency"],
        "created": int(time.time()),
    }
    if not succeeded:
        event["failure_code"] = failure_code or "card_declined"
    return json.dumps(event, sort_keys=True).encode()


def send_notification(url: str, body: bytes) -> int:
    """POST the signed notification to the merchant's callback, as the provider's server does."""
    response = requests.post(
        url,
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, int(time.time()))},
        timeout=15,
    )
    return response.status_code
