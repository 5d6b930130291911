"""Read queries of payments."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Payment, PaymentStatus

# Why a payment failed, in the client's words, by the provider's failure code.
FAILURE_REASONS: dict[str, Promise] = {
    "card_declined": _("The card was declined by its bank."),
    "insufficient_funds": _("The card does not have enough funds."),
    "expired_card": _("The card has expired."),
    "checkout_expired": _("The payment was not finished in time, so it was cancelled."),
}
UNKNOWN_REASON = _("The card provider did not say why.")


def failure_reason(payment: Payment) -> str:
    """Why a failed payment failed ("" for one that did not fail), from its last failure event."""
    if payment.status != PaymentStatus.FAILED:
        return ""
    for event in payment.events.exclude(kind="succeeded").order_by("-id")[:1]:
        code = event.payload.get("failure_code") if isinstance(event.payload, dict) else None
        if code in FAILURE_REASONS:
            return str(FAILURE_REASONS[code])
    return str(UNKNOWN_REASON)


def latest_failed(client: object) -> Payment | None:
    """The client's most recent payment, when it failed (the one a "declined" return is about)."""
    payment = Payment.objects.for_client(client).order_by("-id").first()
    return payment if payment is not None and payment.status == PaymentStatus.FAILED else None
