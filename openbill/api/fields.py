"""Money in API bodies: decimal strings, never floats.

Ledger amounts and totals are shown at the currency's precision ("10.00"); catalog prices keep
the decimals they were entered with ("0.0035" per GB) but never fewer than the currency's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from openbill.core.money import currency_places, round_amount


def money_string(amount: Decimal, currency: str) -> str:
    """An amount rounded to the currency, as a string: ``"10.00"``, ``"-3.50"``."""
    return f"{round_amount(amount, currency):f}"


def price_string(amount: Decimal, currency: str) -> str:
    """A catalog price without trailing zeros beyond the currency's places: ``"10.00"``, ``"0.0035"``."""
    places = max(currency_places(currency), -int(amount.normalize().as_tuple().exponent))
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


class StrictCharField(serializers.CharField):
    """A CharField that takes only a string, at most ``max_length`` long as sent: DRF's own turns
    ``0`` into "0" and measures the length after trimming, accepting input the schema says is
    invalid."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        # The length limit applies to what was sent, before whitespace is trimmed.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return str(super().to_internal_value(data))
