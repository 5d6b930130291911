"""PayPal payments: one order per payment, captured from Openbill's server, credited once.

The order is created once per payment (the payment row is claimed before PayPal is called and
keeps the order's id); the client approves it on PayPal; the return page makes Openbill capture
it, and PayPal's answer to the capture — or its verified ``PAYMENT.CAPTURE.COMPLETED`` webhook,
whichever comes first — credits the payment under its ledger key ``payment:<id>``, once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.urls import absolute_url

from . import actions
from .gateways import GatewayError
from .gateways import paypal as gw
from .models import Payment, PaymentStatus

log = logging.getLogger(__name__)


def approval_url(payment: Payment) -> str:
    """Where the client approves the payment's PayPal order (made on first use)."""
    if payment.provider_id:
        link = gw.approval_link(payment.provider_id)
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
    """The client came back from PayPal: capture the order (server to server) and credit it."""
    if payment.status != PaymentStatus.PENDING or not payment.provider_id:
        return str(payment.status)
    try:
        result = gw.capture_order(payment.provider_id, reference=str(payment.reference))
    except GatewayError as exc:
        log.warning("payment %s: PayPal capture failed: %s", payment.pk, exc)
        return "not captured"
    if (result.reference, result.amount, result.currency) != (str(payment.reference), payment.amount, payment.currency):
        log.warning("payment %s: PayPal captured other money (%s %s)", payment.pk, result.amount, result.currency)
        return "amount mismatch"
    if result.status != "COMPLETED":
        return "pending"
    return actions._apply_event(
        payment,
        method=gw.CODE,
        event_id=f"capture:{result.id}",
        kind="succeeded",
        payload={"capture_id": result.id, "order_id": result.order_id},
        now=now,
        actor=Actor.system("paypal gateway"),
    )
