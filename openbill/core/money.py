"""Money: Decimal amounts with their currency, rounded once, half up, to the currency's precision."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# ISO 4217 minor units for the currencies that differ from the usual two.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}

MAX_DIGITS = 20
DECIMAL_PLACES = 4  # prices and rates may carry more decimals than the currency


def currency_places(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def round_amount(amount: Decimal | Fraction | int, currency: str) -> Decimal:
    """The one rounding rule: half up, to the currency's minor unit."""
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    quantum = Decimal(1).scaleb(-currency_places(currency))
    return Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)


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
        return format_amount(self.amount, self.currency)

    def __str__(self) -> str:
        return self.format()


def format_amount(amount: Decimal, currency: str) -> str:
    """The seed's price format: "1.00 USD", "500 USD".

    Amounts are shown to the currency's minor unit; whole amounts of 100 and more drop the
    zeros ("500 USD/year" beside "1.00 USD/day", as BILLmanager shows them).
    """
    value = round_amount(amount, currency)
    if value == value.to_integral_value() and abs(value) >= 100:
        return f"{value.to_integral_value():f} {currency}"
    return f"{value:f} {currency}"


def format_money(amount: Decimal, currency: str, language: str | None = None) -> str:
    """An amount for people reading ``language`` (default: the active one): the seed's shape
    ("1.00 USD", "500 USD") with the language's decimal sign ("1,00 USD" in Spanish)."""
    from babel.numbers import format_decimal
    from django.utils import translation

    language = (language or translation.get_language() or "en").replace("-", "_")
    value = round_amount(amount, currency)
    places = currency_places(currency)
    whole = places == 0 or (value == value.to_integral_value() and abs(value) >= 100)
    pattern = "0" if whole else "0." + "0" * places
    return f"{format_decimal(value, format=pattern, locale=language)} {currency}"
