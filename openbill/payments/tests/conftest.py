"""The payments tests' PayPal stand-in fixture (``paypal``)."""

from .paypal_helpers import paypal  # noqa: F401
