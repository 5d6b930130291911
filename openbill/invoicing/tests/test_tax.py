"""The tax table: which rate a sale carries under the EU model, and its one rounding rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openbill.invoicing import tax

ON = date(2026, 6, 1)
RULES = [
    tax.Rule("ES", "", "", Decimal(21), "IVA 21%", date(2020, 1, 1)),
    tax.Rule("ES", "CN", "", Decimal(7), "IGIC 7%", date(2020, 1, 1)),
    tax.Rule("DE", "", "", Decimal(19), "MwSt 19%", date(2020, 1, 1)),
    tax.Rule("NO", "", "", Decimal(25), "MVA 25%", date(2020, 1, 1)),
    tax.Rule("US", "", "", Decimal(0), "", date(2020, 1, 1)),
    tax.Rule("ES", "", "", Decimal(23), "IVA 23%", date(2027, 1, 1)),  # not yet valid
]


def resolve(
    country: str,
    kind: str = "person",
    *,
    verified: bool = False,
    oss: bool = False,
    seller: str = "ES",
    region: str = "",
) -> tuple[str, Decimal, str]:
    t = tax.resolve(
        seller_country=seller,
        oss=oss,
        prices_include_tax=False,
        rules=RULES,
        buyer_country=country,
        buyer_region=region,
        buyer_kind=kind,
        vat_verified=verified,
        on=ON,
    )
    return t.scheme, t.rate, t.name


@pytest.mark.parametrize(
    ("case", "args", "kwargs", "expected"),
    [
        ("domestic person", ("ES",), {}, ("domestic", Decimal(21), "IVA 21%")),
        (
            "domestic company pays the domestic rate",
            ("ES", "company"),
            {"verified": True},
            ("domestic", Decimal(21), "IVA 21%"),
        ),
        ("domestic region", ("ES",), {"region": "CN"}, ("domestic", Decimal(7), "IGIC 7%")),
        ("EU B2B verified: reverse charge", ("DE", "company"), {"verified": True}, ("reverse_charge", Decimal(0), "")),
        ("EU B2B unverified: taxed as a person", ("DE", "company"), {}, ("domestic", Decimal(21), "IVA 21%")),
        ("EU B2C without OSS: seller's rate", ("DE",), {}, ("domestic", Decimal(21), "IVA 21%")),
        ("EU B2C with OSS: buyer's rate", ("DE",), {"oss": True}, ("oss", Decimal(19), "MwSt 19%")),
        ("non-EU with a rule", ("NO",), {}, ("export", Decimal(25), "MVA 25%")),
        ("non-EU without tax", ("US",), {}, ("export", Decimal(0), "")),
        ("non-EU without any rule", ("JP", "company"), {"verified": True}, ("export", Decimal(0), "")),
        ("non-EU seller uses its own table", ("NO",), {"seller": "GB"}, ("own_table", Decimal(25), "MVA 25%")),
        ("non-EU seller, no rule", ("JP",), {"seller": "GB"}, ("none", Decimal(0), "")),
        ("non-EU seller, a rule", ("DE",), {"seller": "GB"}, ("own_table", Decimal(19), "MwSt 19%")),
    ],
)
def test_the_rule_applied_to_a_sale(case: str, args: tuple, kwargs: dict, expected: tuple) -> None:
    assert resolve(*args, **kwargs) == expected, case


def test_a_rule_applies_from_its_date() -> None:
    later = tax.resolve(
        seller_country="ES",
        oss=False,
        prices_include_tax=False,
        rules=RULES,
        buyer_country="ES",
        buyer_region="",
        buyer_kind="person",
        vat_verified=False,
        on=date(2027, 1, 1),
    )
    assert later.rate == Decimal(23)


@pytest.mark.parametrize(
    ("amount", "rate", "gross", "expected"),
    [
        ("10.00", "21", False, ("10.00", "2.10", "12.10")),
        ("0.05", "21", False, ("0.05", "0.01", "0.06")),  # 0.0105 → 0.01, half up
        ("3.33", "21", False, ("3.33", "0.70", "4.03")),  # 0.6993 → 0.70
        ("12.10", "21", True, ("10.00", "2.10", "12.10")),
        ("10.00", "21", True, ("8.26", "1.74", "10.00")),  # 1.7355 → 1.74
        ("-10.00", "21", True, ("-8.26", "-1.74", "-10.00")),  # a credit mirrors a charge
        ("10.00", "0", False, ("10.00", "0.00", "10.00")),
    ],
)
def test_one_line_is_rounded_once(amount: str, rate: str, gross: bool, expected: tuple) -> None:
    how = tax.Treatment("domestic", Decimal(rate), "VAT", "ES")
    part = tax.split(Decimal(amount), how, "EUR", gross=gross)
    assert (f"{part.net}", f"{part.tax}", f"{part.gross}") == expected
    assert part.net + part.tax == part.gross
