"""The payment method interface.

``start`` says where to send the client (or what to tell them); ``parse_notification`` checks a
provider's signed notification and returns what it says, raising ``InvalidNotification`` for
anything unsigned or wrongly signed; ``refund`` asks the provider to give money back. A gateway
never writes Openbill's tables: ``payments.actions`` does, from what the gateway returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..models import Payment


class InvalidNotification(Exception):
    """Unsigned, wrongly signed or malformed: credit nothing."""


class MalformedNotification(InvalidNotification):
    """Validly signed, but not a body the gateway understands (or an event type it does not
    handle): credit nothing, change nothing, and say so rather than "invalid signature"."""


class GatewayError(Exception):
    """The provider refused or failed (a refund, a start)."""


@dataclass(frozen=True)
class StartResult:
    redirect_url: str = ""
    instructions: str = ""


@dataclass(frozen=True)
class Notification:
    event_id: str
    reference: str  # the Payment.reference the provider was given at start
    amount: Decimal
    currency: str
    succeeded: bool
    payload: dict[str, object]


class Gateway:
    code: ClassVar[str] = ""
    label: ClassVar[Any] = ""  # a (lazily translated) name for the client
    supports_refund: ClassVar[bool] = False
    confirmed_by_staff: ClassVar[bool] = False

    @classmethod
    def enabled(cls, provider_id: int | None) -> bool:
        """Offered to the provider's clients and answering on its URLs (a test gateway only when
        switched on; Stripe and PayPal when the provider's keys are set)."""
        return True

    @classmethod
    def accepts(cls, provider_id: int | None, currency: str) -> bool:
        """Whether the gateway takes payments in ``currency`` for the provider's clients (Stripe
        and PayPal as limited in the staff pages or by ``STRIPE_CURRENCIES``/``PAYPAL_CURRENCIES``)."""
        return True

    @classmethod
    def checkout_lifetime(cls) -> timedelta | None:
        """How long a payment may wait for the client at this gateway before the checkout-expiry
        sweep fails it ("checkout_expired"); None: it never expires (a bank transfer waits for
        staff)."""
        return None

    def cancel_checkout(self, payment: Payment) -> None:
        """Make sure no money can come for an abandoned checkout, where the gateway has an API for
        it (Stripe cancels the PaymentIntent). Raises GatewayError when it cannot: the payment
        may have been paid meanwhile, so the sweep leaves it pending for the notification."""

    def start(self, payment: Payment, *, return_url: str) -> StartResult:
        raise NotImplementedError

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        raise InvalidNotification("this method sends no notifications")

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> str:
        """Give ``amount`` back through the provider; returns the provider's refund id."""
        raise GatewayError("refunds are made by hand for this method")


REGISTRY: dict[str, type[Gateway]] = {}


def register(cls: type[Gateway]) -> type[Gateway]:
    REGISTRY[cls.code] = cls
    return cls


def get(code: str) -> Gateway:
    try:
        return REGISTRY[code]()
    except KeyError:
        raise KeyError(code) from None
