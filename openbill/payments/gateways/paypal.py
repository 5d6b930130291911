"""PayPal, through its REST API (Orders v2): create an order for exactly the payment, send the
client to approve it on PayPal, capture it from Openbill's server, refund a capture; webhooks
verified by PayPal's own ``verify-webhook-signature`` call.

Every request that creates something carries ``PayPal-Request-Id`` (PayPal's idempotency key):
``order:<reference>``, ``capture:<reference>``, ``refund:<id>``. Exactly-once does not lean on
it: a payment is credited once under its ledger key, each capture once under its id.

Coming back from PayPal proves nothing: the return page makes Openbill capture the order itself,
server to server, and only PayPal's answer to that call (or its verified webhook) credits.
Every call takes the provider's credentials (``payments.gateway_accounts``: the staff pages,
else ``PAYPAL_CLIENT_ID``/``PAYPAL_CLIENT_SECRET``/``PAYPAL_WEBHOOK_ID``; live or sandbox).

An order the client never approves is not captured: the checkout-expiry sweep fails its payment
after ``CHECKOUT_LIFETIME`` (PayPal has no call to void an unapproved order; a capture is only
ever made for a pending payment, so approving it later moves no money).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import requests
from django.urls import reverse
from django.utils.translation import gettext_lazy

from openbill.core.money import round_amount
from openbill.core.ports import Port
from openbill.core.urls import absolute_url

from .. import gateway_accounts
from ..gateway_accounts import PayPalKeys, paypal_keys
from ..models import PaymentEvent
from .base import Gateway, GatewayError, InvalidNotification, MalformedNotification, Notification, StartResult, register

if TYPE_CHECKING:
    from ..models import Payment

CODE = "paypal"
TIMEOUT_SECONDS = 30
CAPTURE_COMPLETED = "PAYMENT.CAPTURE.COMPLETED"
CAPTURE_DENIED = "PAYMENT.CAPTURE.DENIED"
ORDER_APPROVED = "CHECKOUT.ORDER.APPROVED"
# The events Openbill acts on; the README lists them for the webhook's settings.
EVENTS = (ORDER_APPROVED, CAPTURE_COMPLETED, CAPTURE_DENIED)
# An order not approved (and so not captured) within this is abandoned: its payment fails.
CHECKOUT_LIFETIME = timedelta(hours=3)
SIGNATURE_HEADERS = {
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "cert_url": "PAYPAL-CERT-URL",
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
}


@dataclass(frozen=True)
class Capture:
    id: str
    status: str  # COMPLETED, PENDING, DECLINED…
    amount: Decimal
    currency: str
    reference: str  # the payment's reference, sent as the purchase unit's custom_id
    order_id: str


def enabled(provider_id: int | None) -> bool:
    return paypal_keys(provider_id) is not None


def keys_for(provider_id: int | None) -> PayPalKeys:
    keys = paypal_keys(provider_id)
    if keys is None:
        raise GatewayError("PayPal is not configured for this provider")
    return keys


def _token(keys: PayPalKeys) -> str:
    try:
        response = requests.post(
            f"{keys.api_base.rstrip('/')}/v1/oauth2/token",
            auth=(keys.client_id, keys.client_secret),
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
            timeout=TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise GatewayError(f"PayPal authentication failed: {exc}") from None


def _call(keys: PayPalKeys, method: str, path: str, *, body: Any = None, request_id: str = "") -> dict[str, Any]:
    headers = {
        "Authorization": f"Bearer {_token(keys)}",
        "Content-Type": "application/json",
        "Prefer": "return=representation",
    }
    if request_id:
        headers["PayPal-Request-Id"] = request_id
    try:
        response = requests.request(
            method,
            f"{keys.api_base.rstrip('/')}{path}",
            data=json.dumps(body) if body is not None else None,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise GatewayError(f"PayPal did not answer: {exc}") from None
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = {}
    if response.status_code >= 400:
        detail = (data.get("details") or [{}])[0].get("issue") or data.get("name") or response.status_code
        raise GatewayError(f"PayPal refused: {detail}")
    return dict(data)


def value_of(amount: Decimal, currency: str) -> str:
    return f"{round_amount(amount, currency):f}"


def _money(obj: Mapping[str, Any]) -> tuple[Decimal, str]:
    currency = str(obj["currency_code"]).upper()
    try:
        return round_amount(Decimal(str(obj["value"])), currency), currency
    except InvalidOperation:
        raise MalformedNotification("malformed amount") from None


def create_order(keys: PayPalKeys, payment: Payment, *, return_url: str, cancel_url: str) -> tuple[str, str]:
    """An order to capture exactly the payment; returns (order id, the approval link)."""
    data = _call(
        keys,
        "POST",
        "/v2/checkout/orders",
        request_id=f"order:{payment.reference}",
        body={
            "intent": "CAPTURE",
            "purchase_units": [
                {
                    "reference_id": str(payment.reference),
                    "custom_id": str(payment.reference),
                    "description": f"{payment.client.provider.name} #{payment.pk}",
                    "amount": {"currency_code": payment.currency, "value": value_of(payment.amount, payment.currency)},
                }
            ],
            "payment_source": {
                "paypal": {
                    "experience_context": {"return_url": return_url, "cancel_url": cancel_url, "user_action": "PAY_NOW"}
                }
            },
        },
    )
    link = next((x["href"] for x in data.get("links", []) if x.get("rel") in ("payer-action", "approve")), "")
    if not data.get("id") or not link:
        raise GatewayError("PayPal gave no approval link")
    return str(data["id"]), str(link)


def approval_link(keys: PayPalKeys, order_id: str) -> str:
    data = _call(keys, "GET", f"/v2/checkout/orders/{order_id}")
    return next((x["href"] for x in data.get("links", []) if x.get("rel") in ("payer-action", "approve")), "")


def capture_order(keys: PayPalKeys, order_id: str, *, reference: str) -> Capture:
    """Capture an approved order (server to server): PayPal's answer is the proof of payment."""
    data = _call(keys, "POST", f"/v2/checkout/orders/{order_id}/capture", body={}, request_id=f"capture:{reference}")
    try:
        unit = data["purchase_units"][0]
        capture = unit["payments"]["captures"][0]
        amount, currency = _money(capture["amount"])
        return Capture(
            id=str(capture["id"]),
            status=str(capture["status"]),
            amount=amount,
            currency=currency,
            reference=str(capture.get("custom_id") or unit.get("custom_id") or unit.get("reference_id") or ""),
            order_id=str(data["id"]),
        )
    except (KeyError, IndexError, TypeError):
        raise GatewayError("PayPal's capture answer is not understood") from None


def verify_webhook(body: bytes, headers: Mapping[str, str], keys: PayPalKeys) -> dict[str, Any]:
    """The event, if PayPal says it sent it (its verify-webhook-signature call, made with the
    credentials of the account whose webhook id it names)."""
    if not keys.webhook_id:
        raise InvalidNotification("no webhook id is configured")
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidNotification("not JSON") from None
    fields = {name: headers.get(header, "") for name, header in SIGNATURE_HEADERS.items()}
    if not all(fields.values()):
        raise InvalidNotification("unsigned")
    try:
        answer = _call(
            keys,
            "POST",
            "/v1/notifications/verify-webhook-signature",
            body={**fields, "webhook_id": keys.webhook_id, "webhook_event": event},
        )
    except GatewayError as exc:
        raise InvalidNotification(f"could not verify: {exc}") from None
    if answer.get("verification_status") != "SUCCESS":
        raise InvalidNotification("wrong signature")
    return dict(event)


def claimed_reference(body: bytes) -> str:
    """The payment reference an event *says* it is about (before it is verified: only to choose
    whose credentials verify it). A capture carries it as ``custom_id``, an order in its unit."""
    try:
        resource = json.loads(body)["resource"]
        if "purchase_units" in resource:
            return str(resource["purchase_units"][0].get("custom_id") or "")
        return str(resource.get("custom_id") or "")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""


def approved_order(event: Mapping[str, Any]) -> tuple[str, str]:
    """A verified CHECKOUT.ORDER.APPROVED event's (order id, payment reference)."""
    try:
        resource = event["resource"]
        return str(resource["id"]), str(resource["purchase_units"][0].get("custom_id") or "")
    except (KeyError, IndexError, TypeError):
        raise MalformedNotification("malformed") from None


def notification_of(event: Mapping[str, Any]) -> Notification:
    """A verified capture event as the notification ``payments.actions`` applies."""
    kind = str(event.get("event_type", ""))
    if kind not in (CAPTURE_COMPLETED, CAPTURE_DENIED):
        raise MalformedNotification(f"event type {kind[:60]!r} is not handled")
    try:
        resource = event["resource"]
        amount, currency = _money(resource["amount"])
        return Notification(
            event_id=str(event["id"]),
            reference=str(resource.get("custom_id") or ""),
            amount=amount,
            currency=currency,
            succeeded=kind == CAPTURE_COMPLETED,
            payload={"type": kind, "capture_id": str(resource["id"])},
        )
    except (KeyError, TypeError):
        raise MalformedNotification("malformed") from None


# ``payments.paypal_flow.approval_url`` (it claims the payment row, which a gateway never
# writes), plugged in by PaymentsConfig.ready: the flow imports this module, not the reverse.
approval: Port[Callable[[Payment], str]] = Port("PayPal's approval flow")


@register
class PayPalGateway(Gateway):
    code = CODE
    label = gettext_lazy("PayPal")
    supports_refund = True

    @classmethod
    def enabled(cls, provider_id: int | None) -> bool:
        return enabled(provider_id)

    @classmethod
    def accepts(cls, provider_id: int | None, currency: str) -> bool:
        return gateway_accounts.accepts(provider_id, gateway_accounts.PAYPAL, currency)

    @classmethod
    def checkout_lifetime(cls) -> timedelta:
        return CHECKOUT_LIFETIME

    def cancel_checkout(self, payment: Payment) -> None:
        if payment.provider_status == "creating":
            raise GatewayError("the order is being created")

    def start(self, payment: Payment, *, return_url: str) -> StartResult:
        return StartResult(redirect_url=approval()(payment))

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        capture_id = next(
            (
                str(e.payload.get("capture_id"))
                for e in PaymentEvent.objects.filter(payment=payment, kind="succeeded")
                if e.payload.get("capture_id")
            ),
            "",
        )
        if not capture_id:
            raise GatewayError("the payment has no PayPal capture")
        data = _call(
            keys_for(payment.client.provider_id),
            "POST",
            f"/v2/payments/captures/{capture_id}/refund",
            request_id=idempotency_key,
            body={"amount": {"value": value_of(amount, payment.currency), "currency_code": payment.currency}},
        )
        if data.get("status") not in ("COMPLETED", "PENDING"):
            raise GatewayError(f"refund {data.get('status')}")
        return str(data["id"])


def absolute_return_url(payment: Payment) -> str:
    return absolute_url(reverse("payments:paypal_return", args=[payment.reference]))
