"""Money and other decimal numbers in API bodies: decimal strings, never floats.

One format everywhere, documented once in the schema as two named components:

- ``Money`` — an amount: ledger amounts and totals at the currency's precision (``"10.00"``,
  ``"-3.50"``), catalog prices with the decimals they were entered with but never fewer than the
  currency's (``"0.0035"`` per GB);
- ``Decimal`` — a quantity (add-on values, limits, usage): ``"2"``, ``"0.5"``, ``"1000"``;

both ``type: string, format: decimal`` with the pattern ``DECIMAL_PATTERN``: an optional minus,
digits, optionally a point and digits. No exponent, no thousands separator. ``Currency`` is the
ISO 4217 code beside every amount.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS, currency_places, round_amount

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


def money_string(amount: Decimal, currency: str) -> str:
    """An amount rounded to the currency, as a string: ``"10.00"``, ``"-3.50"``."""
    return f"{round_amount(amount, currency):f}"


def price_string(amount: Decimal, currency: str) -> str:
    """A catalog price without trailing zeros beyond the currency's places: ``"10.00"``, ``"0.0035"``."""
    places = max(currency_places(currency), -int(amount.normalize().as_tuple().exponent))
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


def decimal_string(value: Decimal) -> str:
    """A quantity without trailing zeros: ``"2"``, ``"0.5"``, ``"1000"`` (never ``"1E+3"``)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


class DecimalStringField(serializers.Field):  # type: ignore[type-arg]
    """A decimal number as a string (the ``Decimal`` component of the schema).

    Read-only fields render a ``Decimal`` with :func:`decimal_string` and pass a string already
    formatted (``money_string``) through. Writable ones take only a string in the documented
    format (a JSON number would be a float) and give a ``Decimal``, or the string as sent with
    ``as_string=True``.
    """

    component = "Decimal"
    description = 'A decimal number as a string: "2", "0.5", "1000".'
    default_error_messages = {
        "invalid": _('Enter a number as a string of digits with an optional point, e.g. "25.00".'),
        "max_digits": _("Enter at most %(max_digits)s digits."),
        "max_places": _("Enter at most %(places)s digits after the point."),
    }

    def __init__(
        self,
        *,
        max_digits: int = MAX_DIGITS,
        decimal_places: int = DECIMAL_PLACES,
        as_string: bool = False,
        **kwargs: Any,
    ) -> None:
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.as_string = as_string
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return decimal_string(Decimal(value))

    def to_internal_value(self, data: Any) -> Decimal | str:
        if not isinstance(data, str) or not re.fullmatch(DECIMAL_PATTERN, data):
            self.fail("invalid")
        try:
            value = Decimal(data)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            self.fail("invalid")
        whole, _point, fraction = data.lstrip("-").partition(".")
        if len(fraction) > self.decimal_places:
            self.fail("max_places", places=self.decimal_places)
        if len(whole.lstrip("0")) + len(fraction) > self.max_digits:
            self.fail("max_digits", max_digits=self.max_digits)
        return data if self.as_string else value


class MoneyField(DecimalStringField):
    """An amount of money as a decimal string (the ``Money`` component of the schema)."""

    component = "Money"
    description = (
        'An amount of money as a decimal string, at the currency\'s precision ("10.00", "-3.50"); '
        'catalog prices may carry more decimals ("0.0035").'
    )


class CurrencyField(serializers.CharField):
    """The ISO 4217 code of the amounts beside it (the ``Currency`` component of the schema)."""

    component = "Currency"
    description = 'The ISO 4217 currency code of the amounts beside it, e.g. "USD".'


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


class StrictChoiceField(serializers.ChoiceField):
    """A choice sent as a string, and only a string (DRF's would also match ``1`` to ``"1"``)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


def text_fields(what: str) -> tuple[serializers.Field, serializers.Field, serializers.Field]:
    """A stored text (openbill.core.texts) as the API serves it: rendered in the request's
    language (``Accept-Language``, else the user's), with its kind and parameters for programs.

    ``description, description_kind, description_params = text_fields("What the line is")``: the
    three must be named ``<x>``, ``<x>_kind`` and ``<x>_params`` (the model's fields).
    """
    return (
        serializers.CharField(read_only=True, help_text=f"{what}, in the request's language (Accept-Language)."),
        serializers.CharField(
            read_only=True,
            help_text="What it says, as a code (`legacy`: words stored before kinds existed, shown as written).",
        ),
        serializers.DictField(
            read_only=True,
            help_text="The code's parameters: money as {amount, currency}, dates and times in ISO 8601.",
        ),
    )
