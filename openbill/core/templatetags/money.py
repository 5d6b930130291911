"""``{{ amount|money:currency }}``: a sum of money as people read it, in the page's language
("12.00 USD", "12,00 USD"). A builtin of both template engines (settings.TEMPLATES), so every
page, mail and document formats money with core.money.format_money and nothing else."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from openbill.core.money import Money, format_money

register = template.Library()


@register.filter
def money(amount: Any, currency: str = "") -> str:
    """``{{ entry.balance_after|money:entry.currency }}``; a Money needs no currency. Empty stays empty."""
    if isinstance(amount, Money):
        return format_money(amount.amount, amount.currency)
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    return format_money(value, currency)
