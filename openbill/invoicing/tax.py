"""Which tax a sale carries (the EU model) and how it is computed: once, per line, half up.

The rule (issue "Tax"; EU VAT Directive arts. 44, 58, 196; the One-Stop Shop):

* buyer in the seller's country                         → domestic: the seller's table for it;
* EU business buyer, VAT number verified, other state   → reverse charge, 0 %, with its mention;
* EU private buyer (or an unverified number), other state → the buyer's country's rate if the
  seller uses the OSS, else the seller's own rate;
* buyer outside the EU                                  → the rule staff set for that country
  (none: 0 %, "outside the scope of EU VAT");
* a seller outside the EU just applies its own table to the buyer's country.

Rounding (one rule, DESIGN.md "Money"): each line's net is rounded to the currency, its tax is
``round(net × rate)`` (or, for prices that include tax, ``round(gross × rate / (100 + rate))``),
and gross = net + tax. A document's totals are sums of its lines, so cart, order, invoice and
ledger carry the same cents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openbill.core.money import round_amount

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Treatment:
    """The tax a client's purchases carry on a given day."""

    scheme: str  # TaxScheme value
    rate: Decimal  # percent
    name: str  # as printed ("IVA 21%"); empty for no tax
    country: str  # where the tax is due ("" when none)
    prices_include_tax: bool = False

    @property
    def taxed(self) -> bool:
        return self.rate > 0


NO_TAX = Treatment("none", Decimal(0), "", "")


@dataclass(frozen=True, slots=True)
class LineTax:
    net: Decimal
    tax: Decimal
    gross: Decimal


def split(amount: Decimal, treatment: Treatment, currency: str, *, gross: bool | None = None) -> LineTax:
    """One line's net, tax and gross from a price. ``gross`` says whether ``amount`` includes the
    tax (default: the seller's setting); a top-up's amount is always gross."""
    includes = treatment.prices_include_tax if gross is None else gross
    amount = round_amount(amount, currency)
    rate = treatment.rate
    if includes:
        tax = round_amount(amount * rate / (HUNDRED + rate), currency)
        return LineTax(amount - tax, tax, amount)
    tax = round_amount(amount * rate / HUNDRED, currency)
    return LineTax(amount, tax, amount + tax)


@dataclass(frozen=True, slots=True)
class Rule:
    country: str
    region: str
    buyer_kind: str
    rate: Decimal
    name: str
    valid_from: date


def best_rule(rules: Iterable[Rule], *, country: str, region: str, buyer_kind: str, on: date) -> Rule | None:
    """The most specific rule valid on ``on``: region over country, kind over any, newest first."""
    candidates = [
        r
        for r in rules
        if r.country == country and r.valid_from <= on and r.region in ("", region) and r.buyer_kind in ("", buyer_kind)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (bool(r.region), bool(r.buyer_kind), r.valid_from))


def resolve(
    *,
    seller_country: str,
    oss: bool,
    prices_include_tax: bool,
    rules: Iterable[Rule],
    buyer_country: str,
    buyer_region: str,
    buyer_kind: str,
    vat_verified: bool,
    on: date,
) -> Treatment:
    """The EU model above. A company whose VAT number is not verified is taxed as a person."""
    rules = list(rules)
    kind = "company" if buyer_kind == "company" and vat_verified else "person"

    def from_table(country: str, region: str, scheme: str) -> Treatment:
        rule = best_rule(rules, country=country, region=region, buyer_kind=kind, on=on)
        if rule is None or rule.rate == 0:
            return Treatment(
                "export" if scheme == "export" else "none",
                Decimal(0),
                rule.name if rule else "",
                "",
                prices_include_tax,
            )
        return Treatment(scheme, rule.rate, rule.name, country, prices_include_tax)

    seller_in_eu = seller_country in EU_COUNTRIES
    if not seller_in_eu:
        return from_table(buyer_country, buyer_region, "own_table")
    if buyer_country == seller_country:
        return from_table(seller_country, buyer_region, "domestic")
    if buyer_country in EU_COUNTRIES:
        if kind == "company":
            return Treatment("reverse_charge", Decimal(0), "", buyer_country, prices_include_tax)
        if oss:
            return from_table(buyer_country, buyer_region, "oss")
        return from_table(seller_country, "", "domestic")
    return from_table(buyer_country, buyer_region, "export")
