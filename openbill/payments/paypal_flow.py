"""PayPal payments: one order per payment, captured from Openbill's server, credited once.

The order is created once per payment (the payment row is claimed before PayPal is called and
keeps the order's id); the client approves it on PayPal; the return page — or PayPal's verified
``CHECKOUT.ORDER.APPROVED`` webhook, whichever comes first — makes Openbill capture it, and
PayPal's answer to the capture, or its verified ``PAYMENT.CAPTURE.COMPLETED`` webhook, credits
the payment under its ledger key ``payment:<id>``, once. Both paths capture with the same
``PayPal-Request-Id`` (``capture:<reference>``), so PayPal captures the order once; a second
capture call is answered with the first capture (or refused as already captured) and credits
nothing more. Only a pending payment is captured: an order approved after its payment expired
moves no money.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.urls import absolute_url

from . import actions
from .gateway_accounts import paypal_keys
from .gateways import GatewayError, InvalidNotification
from .gateways import paypal as gw
from .models import Payment, PaymentStatus

log = logging.getLogger(__name__)


def approval_url(payment: Payment) -> str:
    """Where the client approves the payment's PayPal order (made on first use)."""
    keys = gw.keys_for(payment.client.provider_id)
    if payment.provider_id:
        link = gw.approval_link(keys, payment.provider_id)
        if link:
            return link
        raise DomainError(_("This payment is already being made."), field="method")
    claimed = Payment.objects.filter(pk=payment.pk, provider_id="", provider_status="").update(
        provider_status="creating"
    )
    if not claimed:
        raise DomainError(_("This payment is already being made."), field="method")
    try:
        order_id, link = gw.create_order(
            keys,
            payment,
            return_url=gw.absolute_return_url(payment),
            cancel_url=absolute_url(reverse("clientarea:payment", args=[payment.pk])),
        )
    except GatewayError as exc:
        Payment.objects.filter(pk=payment.pk, provider_id="").update(provider_status="")
        raise DomainError(_("The payment provider could not be reached; try again later."), detail=str(exc)) from None
    Payment.objects.filter(pk=payment.pk).update(provider_id=order_id, provider_status="created")
    return link


def capture(payment: Payment, *, now: datetime) -> str:
    """The client approved on PayPal: capture the order (server to server) and credit it."""
    payment = Payment.objects.select_related("client").get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING or not payment.provider_id:
        return str(payment.status)
    try:
        keys = gw.keys_for(payment.client.provider_id)
        result = gw.capture_order(keys, payment.provider_id, reference=str(payment.reference))
    except GatewayError as exc:
        log.warning("payment %s: PayPal capture failed: %s", payment.pk, exc)
        return "not captured"
    if (result.reference, result.amount, result.currency) != (str(payment.reference), payment.amount, payment.currency):
        log.warning("payment %s: PayPal captured other money (%s %s)", payment.pk, result.amount, result.currency)
        return "amount mismatch"
    if result.status != "COMPLETED":
        return "pending"
    return actions.apply_event(
        payment,
        method=gw.CODE,
        event_id=f"capture:{result.id}",
        kind="succeeded",
        payload={"capture_id": result.id, "order_id": result.order_id},
        now=now,
        actor=Actor.system("paypal gateway"),
    )


def handle_webhook(body: bytes, headers: Mapping[str, str], *, now: datetime) -> str:
    """A PayPal event, verified by PayPal with the credentials of the provider whose payment it
    names (the environment's when it names none). Raises InvalidNotification for a forged one.

    APPROVED captures the order (as the return page does); a capture event credits or fails
    the payment once; an unknown payment or other money changes nothing."""
    reference = gw.claimed_reference(body)
    payment = None
    with contextlib.suppress(ValueError):
        payment = (
            Payment.objects.select_related("client").filter(reference=uuid.UUID(reference), method=gw.CODE).first()
        )
    keys = paypal_keys(payment.client.provider_id if payment is not None else None)
    if keys is None:
        raise InvalidNotification("PayPal is not configured")
    event = gw.verify_webhook(body, headers, keys)
    if event.get("event_type") == gw.ORDER_APPROVED:
        order_id, _reference = gw.approved_order(event)
        if payment is None:
            return "unknown payment"
        if payment.provider_id != order_id:
            log.warning("payment %s: approval of order %s, not %s", payment.pk, order_id, payment.provider_id)
            return "other order"
        return capture(payment, now=now)
    return actions.handle_notification(gw.CODE, gw.notification_of(event), now=now)
