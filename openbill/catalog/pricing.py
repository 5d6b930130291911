"""Prices: one period of a tariff with its add-ons, computed from prefetched rows.

Amounts here keep the catalog's precision; they are rounded once, when written to the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from openbill.billing.rules import TARIFF_PART, addon_part

from .models import Addon, AddonEnumItem, BillingType, PeriodPrice, TariffPlan, ValueType


def period_price(tariff: TariffPlan, period: str) -> PeriodPrice | None:
    for price in tariff.prices.all():
        if price.period == period:
            return price
    return None


def addon_amount(addon: Addon, quantity: Decimal, enum_item: AddonEnumItem | None, period: str) -> Decimal:
    """What one add-on line costs for one period. Included units are free; billing by
    statistics is charged as overage by the meter, never in advance."""
    if addon.billing_type in (BillingType.INCLUDED, BillingType.STATISTICS):
        return Decimal(0)
    if addon.value_type == ValueType.ENUM:
        return addon.unit_price(period, enum_item) if enum_item else Decimal(0)
    billable = max(quantity - addon.included, Decimal(0))
    return billable * addon.unit_price(period)


def tariff_period_amount(
    tariff: TariffPlan, period: str, lines: Iterable[tuple[Addon, Decimal, AddonEnumItem | None]]
) -> Decimal | None:
    """Period price plus add-ons, or None when the tariff does not sell that period."""
    price = period_price(tariff, period)
    if price is None:
        return None
    return price.price + sum((addon_amount(a, q, item, period) for a, q, item in lines), Decimal(0))


def tariff_period_parts(
    tariff: TariffPlan, period: str, lines: Iterable[tuple[Addon, Decimal, AddonEnumItem | None]]
) -> dict[str, Decimal] | None:
    """``tariff_period_amount`` by part: the base price (``tariff``) and each add-on
    (``addon:<id>``), unrounded; None when the tariff does not sell that period. The parts add
    up to ``tariff_period_amount``."""
    price = period_price(tariff, period)
    if price is None:
        return None
    parts = {TARIFF_PART: price.price}
    for addon, quantity, item in lines:
        key = addon_part(addon.pk)
        parts[key] = parts.get(key, Decimal(0)) + addon_amount(addon, quantity, item, period)
    return parts
