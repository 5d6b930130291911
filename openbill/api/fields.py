"""Money in API bodies: decimal strings, never floats.

Ledger amounts and totals are shown at the currency's precision ("10.00"); catalog prices keep
the decimals they were entered with ("0.0035" per GB) but never fewer than the currency's.
"""

from __future__ import annotations

from decimal import Decimal

from openbill.core.money import currency_places, round_amount


def money_string(amount: Decimal, currency: str) -> str:
    """An amount rounded to the currency, as a string: ``"10.00"``, ``"-3.50"``."""
    return f"{round_amount(amount, currency):f}"


def price_string(amount: Decimal, currency: str) -> str:
    """A catalog price without trailing zeros beyond the currency's places: ``"10.00"``, ``"0.0035"``."""
    places = max(currency_places(currency), -int(amount.normalize().as_tuple().exponent))
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"
