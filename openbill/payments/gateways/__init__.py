"""Payment methods as plugins behind one interface (``base.Gateway``).

A gateway registers itself under its code with ``@register``; ``get(code)`` returns an instance.
Built in: ``bank`` (bank transfer, confirmed by staff), ``card`` (a test hosted payment page) and
``stripe`` (cards through Stripe, saved cards, automatic payments at renewal) and ``paypal``.
"""

from __future__ import annotations

from . import bank, card, paypal, stripe_gateway  # noqa: F401  (registration)
from .base import (
    REGISTRY,
    Gateway,
    GatewayError,
    InvalidNotification,
    MalformedNotification,
    Notification,
    StartResult,
    get,
    register,
)

__all__ = [
    "REGISTRY",
    "Gateway",
    "GatewayError",
    "InvalidNotification",
    "MalformedNotification",
    "Notification",
    "StartResult",
    "get",
    "register",
]
