"""Money coming in and going back: top-ups through a payment method, the provider's
notifications, staff confirmations, refunds and corrections.

Ledger keys: a payment credits under ``payment:<id>``, a refund debits under ``refund:<id>``
(and a failed gateway refund restores it under ``refund-reversal:<id>``), a correction under
``correction:<id>``. A notification is recorded in PaymentEvent, unique on (method, provider
event id), in the same transaction as the credit: five deliveries, a replay or two workers
credit once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from openbill.billing.actions import post_entry
from openbill.billing.models import EntryKind
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition, InsufficientFunds
from openbill.core.money import format_money, money_value, round_amount
from openbill.core.notify import notify
from openbill.core.ports import Port
from openbill.core.texts import Text
from openbill.invoicing import actions as invoicing_actions
from openbill.invoicing import selectors as invoicing
from openbill.metering.actions import settle_client
from openbill.orders.actions import pay_order
from openbill.orders.models import Order, OrderStatus
from openbill.orders.selectors import invoice_lines

from . import gateways
from .gateways import GatewayError, Notification, StartResult
from .models import Correction, Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus

log = logging.getLogger(__name__)

MAX_PAYMENT = Decimal("1000000")


class RequestKeyReused(DomainError):
    """A top-up's request key was already used for a payment with other parameters (HTTP 422)."""

    http_status = 422
    code = "request_key_reused"


EXPIRED_CODE = "checkout_expired"  # the failure code of a checkout left unfinished

# Queues ``send_refund`` for a refund once its transaction committed: ``tasks.send_refund_task``,
# plugged in by PaymentsConfig.ready (tasks call actions, never the reverse).
refund_queue: Port[Callable[[int], object]] = Port("the gateway refund queue")


def clean_amount(value: Any, currency: str, *, field: str = "amount") -> Decimal:
    """A positive amount in the currency's precision, or a 400 naming ``field``."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount."), field=field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter an amount."), field=field)
    if amount <= 0:
        raise DomainError(_("The amount must be greater than zero."), field=field)
    if amount > MAX_PAYMENT:
        raise DomainError(_("The amount is too large."), field=field)
    if round_amount(amount, currency) != amount:
        raise DomainError(_("The amount has too many decimal places."), field=field)
    return amount


def available_methods(provider_id: int | None, currency: str | None = None) -> list[gateways.Gateway]:
    """The methods offered to the provider's clients (a test gateway only when switched on);
    with ``currency``, only those that take it (a gateway may be limited to some currencies)."""
    return [gateways.get(code) for code in sorted(gateways.REGISTRY) if offers(code, provider_id, currency)]


def offers(method: str, provider_id: int | None, currency: str | None) -> bool:
    """Whether the method is on for the provider's clients and takes the currency."""
    gateway = gateways.REGISTRY.get(method)
    if gateway is None or not gateway.enabled(provider_id):
        return False
    return currency is None or gateway.accepts(provider_id, currency)


def start_payment(
    client: Client,
    *,
    method: str,
    amount: Any,
    actor: Actor,
    now: datetime,
    return_url: str,
    currency: str | None = None,
    order: Any = None,
    request_key: str = "",
) -> tuple[Payment, StartResult]:
    """Create a pending top-up and ask its method where to send the client."""
    if not offers(method, client.provider_id, None):
        raise DomainError(_("Choose a payment method."), field="method")
    if not offers(method, client.provider_id, client.currency):
        raise DomainError(
            _("This payment method does not take %(currency)s.") % {"currency": client.currency}, field="method"
        )
    if currency not in (None, "") and currency != client.currency:
        raise DomainError(
            _("Payments are in %(currency)s, the account's currency.") % {"currency": client.currency},
            field="currency",
        )
    value = clean_amount(amount, client.currency)
    if invoicing.needs_billing_profile(client):
        # Every payment is invoiced: the invoice needs the buyer's details first.
        raise DomainError(
            _("Fill in your billing details (Profile) before the first payment."), field="billing_profile"
        )
    existing = Payment.objects.filter(client=client, request_key=request_key).first() if request_key else None
    if existing is None:
        try:
            with transaction.atomic():
                existing = Payment.objects.create(
                    client=client,
                    method=method,
                    amount=value,
                    currency=client.currency,
                    order=order,
                    request_key=request_key,
                    created_at=now,
                    created_by=str(actor),
                )
        except IntegrityError:
            existing = Payment.objects.get(client=client, request_key=request_key)
    order_id = getattr(order, "pk", order)
    if (existing.method, existing.amount, existing.order_id) != (method, value, order_id):
        # A retry returns the first payment; the same key for another payment is a mistake.
        raise RequestKeyReused(_("This request was already made with other details; start a new payment."))
    payment = Payment.objects.select_related("client__provider").get(pk=existing.pk)
    result = gateways.get(payment.method).start(payment, return_url=return_url)
    return payment, result


def handle_notification(method: str, notification: Notification, *, now: datetime) -> str:
    """Apply a verified notification once. Returns what happened (for logs and the answer)."""
    payment = Payment.objects.filter(reference=notification.reference, method=method).first()
    if payment is None:
        return "unknown payment"
    # Every event, a failure too, must name the payment's own amount and currency: an event
    # about other money is not about this payment, whatever its reference says.
    if notification.currency != payment.currency or notification.amount != payment.amount:
        log.warning(
            "payment %s: notification amount %s %s differs", payment.pk, notification.amount, notification.currency
        )
        return "amount mismatch"
    return apply_event(
        payment,
        method=method,
        event_id=notification.event_id,
        kind="succeeded" if notification.succeeded else "failed",
        payload=dict(notification.payload),
        now=now,
        actor=Actor.system(f"{method} gateway"),
    )


def confirm_payment(payment: Payment, *, actor: Actor, now: datetime) -> str:
    """Staff confirm that a bank transfer arrived: the balance is credited (once)."""
    if not gateways.get(payment.method).confirmed_by_staff:
        raise DomainError(_("Only bank transfers are confirmed by staff."), field="method")
    return apply_event(
        payment,
        method=payment.method,
        event_id=f"staff-confirmation:{payment.pk}",
        kind="succeeded",
        payload={"by": str(actor)},
        now=now,
        actor=actor,
    )


def apply_event(
    payment: Payment, *, method: str, event_id: str, kind: str, payload: dict[str, Any], now: datetime, actor: Actor
) -> str:
    with transaction.atomic():
        # The payment row's lock serializes concurrent deliveries of the same notification;
        # the event's unique (method, event_id) is the backstop.
        locked = Payment.objects.select_for_update().select_related("client__provider").get(pk=payment.pk)
        try:
            with transaction.atomic():
                PaymentEvent.objects.create(
                    payment=locked, method=method, event_id=event_id, kind=kind, payload=payload, received_at=now
                )
        except IntegrityError:
            return "duplicate"
        if kind != "succeeded":
            if locked.status == PaymentStatus.PENDING:
                locked.status = PaymentStatus.FAILED
                locked.save(update_fields=["status"])
            return "failed"
        if locked.entry_id is not None:
            return "already credited"
        entry, _created = post_entry(
            locked.client,
            amount=locked.amount,
            kind=EntryKind.PAYMENT,
            key=f"payment:{locked.pk}",
            description=Text("payment", id=locked.pk, method=method),
            now=now,
            actor=actor,
        )
        locked.status = PaymentStatus.COMPLETED
        locked.completed_at = now
        locked.entry = entry
        locked.save(update_fields=["status", "completed_at", "entry"])
        # The invoice for the money received, numbered in this same transaction.
        invoicing_actions.issue_payment_invoice(locked, now=now, ordered=invoice_lines(locked.order_id))
        notify(
            locked.client,
            "payment_received",
            key=f"payment_received:{locked.pk}",
            now=now,
            context={
                "payment_id": locked.pk,
                "amount": money_value(locked.amount, locked.currency),
                "method": str(gateways.get(method).label),
                "balance": money_value(entry.balance_after, locked.currency),
            },
        )
        order_id = locked.order_id
    if order_id is not None:
        _pay_waiting_order(order_id, now=now)
    _settle_overage(locked.client_id, now=now)
    return "credited"


def expire_checkouts(now: datetime) -> int:
    """The one checkout-expiry rule of every gateway: a payment still waiting for the client
    longer than its gateway's ``checkout_lifetime`` fails with the reason "checkout_expired" (an
    event, so recorded once), after the gateway made sure no money can come for it where it has
    an API for that (Stripe cancels the PaymentIntent). One the gateway cannot cancel (it may have
    been paid meanwhile, or is being charged) stays pending for its notification. Bank transfers
    wait for staff and never expire. Money that arrives after all is still credited."""
    expired = 0
    for code, gateway_class in sorted(gateways.REGISTRY.items()):
        lifetime = gateway_class.checkout_lifetime()
        if lifetime is None:
            continue
        gateway = gateway_class()
        stale = Payment.objects.filter(status=PaymentStatus.PENDING, method=code, created_at__lt=now - lifetime)
        for payment in stale.select_related("client").order_by("id")[:500]:
            try:
                gateway.cancel_checkout(payment)  # an HTTP call: no transaction is open here
            except GatewayError as exc:
                log.info("payment %s: checkout not expired: %s", payment.pk, exc)
                continue
            outcome = apply_event(
                payment,
                method=code,
                event_id=f"checkout-expired:{payment.pk}",
                kind="expired",
                payload={"failure_code": EXPIRED_CODE},
                now=now,
                actor=Actor.system("payments"),
            )
            expired += outcome == "failed"
    return expired


def _pay_waiting_order(order_id: int, *, now: datetime) -> None:
    """The money for an order arrived: pay it from the balance now (it stayed Ordered)."""
    order = Order.objects.filter(pk=order_id, status=OrderStatus.PENDING).first()
    if order is None:
        return
    try:
        pay_order(order, actor=Actor.system("payment received"), now=now)
    except (InsufficientFunds, IllegalTransition) as exc:
        log.info("order %s stays pending after payment: %s", order_id, exc)


def _settle_overage(client_id: int, *, now: datetime) -> None:
    """The money arrived: charge the overage its services could not pay and lift the suspension
    for it now, not at the next meter run. The meter sweep is the backstop if this fails."""
    try:
        settle_client(client_id, now=now)
    except Exception:  # the payment is credited either way; the sweep settles later
        log.exception("settling the overage of client %s after a payment failed", client_id)


def refund_payment(payment: Payment, *, amount: Any, reason: str, actor: Actor, now: datetime) -> Refund:
    """Give money back: through the gateway where it can, by hand for bank transfers.

    Here, in one transaction: the refund is recorded and the balance debited (ledger
    ``refund:<id>``), so money already spent is never refunded. No gateway is called here — the
    caller may hold a transaction (Django admin wraps its forms in one). A gateway refund stays
    *pending* and ``send_refund`` asks the provider once this transaction has committed, from a
    task, with no lock held (reliability.md, invariant 8); a refund by hand is complete at once."""
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    value = clean_amount(amount, payment.currency)
    gateway = gateways.get(payment.method)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("client__provider").get(pk=payment.pk)
        if value > locked.refundable_amount:
            raise DomainError(
                _("At most %(amount)s can be refunded.")
                % {"amount": format_money(locked.refundable_amount, locked.currency)},
                field="amount",
            )
        refund = Refund.objects.create(
            payment=locked, amount=value, reason=reason.strip()[:300], created_at=now, created_by=str(actor)
        )
        entry, _created = post_entry(
            locked.client,
            amount=-value,
            kind=EntryKind.REFUND,
            key=f"refund:{refund.pk}",
            description=Text("payment_refund", id=locked.pk, reason=refund.reason),
            now=now,
            actor=actor,
        )
        refund.entry = entry
        if not gateway.supports_refund:
            refund.status = RefundStatus.COMPLETED
            refund.provider_refund_id = "manual"
        refund.save(update_fields=["entry", "status", "provider_refund_id"])
        if refund.status == RefundStatus.COMPLETED:
            invoicing_actions.issue_credit_note(refund, now=now)
        locked.refunded_amount += value
        if locked.refunded_amount >= locked.amount:
            locked.status = PaymentStatus.REFUNDED
        locked.save(update_fields=["refunded_amount", "status"])
        if refund.status == RefundStatus.PENDING:
            refund_id = refund.pk
            transaction.on_commit(lambda: refund_queue()(refund_id))
    return refund


def send_refund(refund_id: int, *, now: datetime) -> str:
    """Ask the gateway to give a pending refund back, then record its answer once.

    Runs from a task after the refund's transaction committed: the provider is called with no
    transaction open and no row locked, under the idempotency key ``refund:<id>`` (a retry after
    a crash is answered with the same refund by the provider). If it refuses, the debit is
    reversed (``refund-reversal:<id>``) and the payment's refunded amount lowered in the
    database (F()), whatever other refunds did meanwhile. Returns the refund's status."""
    refund = Refund.objects.select_related("payment__client__provider").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return str(refund.status)
    gateway = gateways.get(refund.payment.method)
    provider_id, error = "", ""
    try:
        provider_id = gateway.refund(refund.payment, refund.amount, idempotency_key=f"refund:{refund.pk}")
    except GatewayError as exc:
        error = str(exc) or "refused"
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != RefundStatus.PENDING:
            return str(refund.status)  # another worker recorded the answer first
        if error:
            payment = Payment.objects.select_for_update().select_related("client").get(pk=refund.payment_id)
            post_entry(
                payment.client,
                amount=refund.amount,
                kind=EntryKind.CORRECTION,
                key=f"refund-reversal:{refund.pk}",
                description=Text("payment_refund_failed", id=payment.pk),
                now=now,
                actor=Actor.system(f"{payment.method} gateway"),
            )
            Payment.objects.filter(pk=payment.pk).update(refunded_amount=F("refunded_amount") - refund.amount)
            payment.refresh_from_db(fields=["refunded_amount"])
            payment.status = (
                PaymentStatus.REFUNDED if payment.refunded_amount >= payment.amount else PaymentStatus.COMPLETED
            )
            payment.save(update_fields=["status"])
            refund.status = RefundStatus.FAILED
            refund.error = error
        else:
            refund.status = RefundStatus.COMPLETED
            refund.provider_refund_id = provider_id or "manual"
        refund.save(update_fields=["status", "error", "provider_refund_id"])
        if refund.status == RefundStatus.COMPLETED:
            invoicing_actions.issue_credit_note(refund, now=now)
    return str(refund.status)


def pending_refunds(older_than: datetime) -> list[int]:
    """Gateway refunds still waiting for the provider's answer (their task was lost)."""
    return list(
        Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=older_than).values_list("pk", flat=True)
    )


def record_correction(
    client: Client, *, amount: Any, reason: str, actor: Actor, now: datetime, key: str = ""
) -> Correction:
    """A staff credit (positive) or debit (negative) with its reason: a new ledger entry."""
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount."), field="amount") from None
    if not value.is_finite() or value == 0 or round_amount(value, client.currency) != value:
        raise DomainError(_("Enter a non-zero amount in the account's currency."), field="amount")
    with transaction.atomic():
        correction = Correction.objects.create(
            client=client, amount=value, reason=reason.strip()[:300], created_at=now, created_by=str(actor)
        )
        entry, _created = post_entry(
            client,
            amount=value,
            kind=EntryKind.CORRECTION,
            key=key or f"correction:{correction.pk}",
            description=Text("correction", reason=correction.reason),
            now=now,
            actor=actor,
        )
        correction.entry = entry
        correction.save(update_fields=["entry"])
        return correction
