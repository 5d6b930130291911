"""Money: Decimal amounts, one rounding rule (half up, to the currency's minor unit), one currency."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from openbill.core.money import CurrencyMismatch, Money, format_money, round_amount


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1.005"), "USD", Decimal("1.01")),  # half up, not banker's rounding
        (Decimal("1.015"), "USD", Decimal("1.02")),
        (Decimal("1.0049"), "USD", Decimal("1.00")),
        (Decimal("2.5"), "JPY", Decimal("3")),  # no minor unit
        (Decimal("3.5"), "JPY", Decimal("4")),
        (Decimal("1.0005"), "KWD", Decimal("1.001")),  # three decimals
        (Decimal("-1.005"), "USD", Decimal("-1.01")),  # half away from zero for refunds too
        (Decimal("0.3333"), "usd", Decimal("0.33")),
        (Fraction(1, 3) * 10, "USD", Decimal("3.33")),  # proration arrives as an exact fraction
        (Fraction(2, 3), "EUR", Decimal("0.67")),
        (7, "USD", Decimal("7.00")),
    ],
)
def test_round_amount_is_half_up_to_the_currencys_precision(amount, currency, expected):
    rounded = round_amount(amount, currency)

    assert rounded == expected
    assert rounded.as_tuple().exponent == expected.as_tuple().exponent


def test_money_adds_and_subtracts_within_one_currency():
    total = Money(Decimal("10.00"), "USD") + Money(Decimal("2.50"), "USD") - Money(Decimal("0.25"), "USD")

    assert total == Money(Decimal("12.25"), "USD")
    assert -total == Money(Decimal("-12.25"), "USD")


@pytest.mark.parametrize("operation", [lambda a, b: a + b, lambda a, b: a - b])
def test_money_refuses_to_mix_currencies(operation):
    with pytest.raises(CurrencyMismatch):
        operation(Money(Decimal("1"), "USD"), Money(Decimal("1"), "EUR"))


def test_money_multiplies_exactly_and_rounds_only_when_asked():
    share = Money(Decimal("10.00"), "USD") * Fraction(1, 3)

    assert share.amount != Decimal("3.33")  # still exact: rounded once, when written
    assert share.rounded() == Money(Decimal("3.33"), "USD")
    assert Money(Decimal("0.0333"), "USD") * 3 == Money(Decimal("0.0999"), "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("1"), "USD", "1.00 USD"),
        (Decimal("500"), "USD", "500 USD"),
        (Decimal("500.00"), "USD", "500 USD"),
        (Decimal("99"), "USD", "99.00 USD"),
        (Decimal("12.5"), "USD", "12.50 USD"),
        (Decimal("500.50"), "USD", "500.50 USD"),
        (Decimal("0.333"), "USD", "0.33 USD"),
        (Decimal("1500"), "JPY", "1500 JPY"),
    ],
)
def test_amounts_are_shown_in_the_seeds_format(amount, currency, text):
    assert format_money(amount, currency) == text
    assert str(Money(amount, currency)) == text
