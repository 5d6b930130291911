"""Money: Decimal amounts with their currency, rounded once, half up, to the currency's precision."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from .formats import decimal_text, locale_name

# ISO 4217 minor units for the currencies that differ from the usual two.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}

MAX_DIGITS = 20
DECIMAL_PLACES = 4  # prices and rates may carry more decimals than the currency


def currency_places(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


@functools.cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_places(currency))


def round_amount(amount: Decimal | Fraction | int, currency: str) -> Decimal:
    """The one rounding rule: half up, to the currency's minor unit."""
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    elif not isinstance(amount, Decimal):
        amount = Decimal(amount)
    return amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


class CurrencyMismatch(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Adding two currencies is an error, never a conversion."""

    amount: Decimal
    currency: str

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int | Fraction) -> Money:
        if isinstance(factor, Fraction):
            return Money(self.amount * factor.numerator / factor.denominator, self.currency)
        return Money(self.amount * factor, self.currency)

    def rounded(self) -> Money:
        return Money(round_amount(self.amount, self.currency), self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def format(self) -> str:
        return format_money(self.amount, self.currency)

    def __str__(self) -> str:
        return self.format()


def format_money(amount: Decimal | int, currency: str, language: str | None = None, *, minor_unit: bool = False) -> str:
    """An amount as people read it, in ``language`` (default: the active one).

    The seed's shapes in English: "1.00 USD", "500 USD", "-3.50 USD"; Spanish writes "1,00 USD".
    Amounts are shown to the currency's minor unit; whole amounts of 100 and more drop the zeros
    ("500 USD/year" beside "1.00 USD/day", as BILLmanager shows them). No thousands separator:
    "1500 USD" reads the same in every language, where "1,500" would not. ``minor_unit``
    keeps the minor unit always ("100.00 EUR"), as invoices show every amount.
    """
    value = round_amount(Decimal(amount), currency)
    places = currency_places(currency)
    if not minor_unit and value == value.to_integral_value() and abs(value) >= 100:
        places = 0
    pattern = "0." + "0" * places if places else "0"
    return f"{decimal_text(str(value), pattern, locale_name(language))} {currency}"


# A sum of money inside stored JSON (a notice's context): the figure and its currency, worded by
# format_money in the reader's language when the mail is written, never in the language of the
# moment it was recorded.
MONEY_KEY = "$money"


def money_value(amount: Decimal, currency: str) -> dict[str, str]:
    return {MONEY_KEY: f"{round_amount(amount, currency):f}", "currency": currency}


def words_for_money_values(value: Any, language: str | None = None) -> Any:
    """``value`` with every money_value inside it (dicts, lists) replaced by its format_money text."""
    if isinstance(value, dict):
        if MONEY_KEY in value:
            return format_money(Decimal(value[MONEY_KEY]), value["currency"], language)
        return {key: words_for_money_values(item, language) for key, item in value.items()}
    if isinstance(value, list):
        return [words_for_money_values(item, language) for item in value]
    return value
