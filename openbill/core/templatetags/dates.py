"""``{{ value|day }}``, ``{{ value|moment }}``, ``{{ value|month }}``: dates and times as people
read them, in the page's (or mail's) language and the provider's zone (core.formats). A builtin
of both template engines (settings.TEMPLATES), like ``|money``.

A value may be a date, a datetime or an ISO 8601 string (what a stored mail context holds:
``"2026-12-16"``, or a moment with the provider's offset, shown on that wall clock). Anything
else is shown as given; empty stays empty."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template

from openbill.core.formats import format_day, format_moment, format_month

register = template.Library()


def _value(value: Any) -> Any:
    if isinstance(value, str) and value[:4].isdigit():
        try:
            return datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _own_zone(value: datetime) -> Any:
    """A moment read from a string keeps its own offset (the provider's, as stored)."""
    return value.tzinfo


@register.filter
def day(value: Any) -> str:
    """``{{ service.created_at|day }}``: "2026-12-16" (the seed's form), in the provider's zone."""
    parsed = _value(value)
    if isinstance(parsed, datetime) and isinstance(value, str):
        return format_day(parsed, tz=_own_zone(parsed))
    if isinstance(parsed, date):
        return format_day(parsed)
    return "" if value is None else str(value)


@register.filter
def moment(value: Any) -> str:
    """``{{ entry.created_at|moment }}``: "Dec 16, 2026, 3:04 PM" / "16 dic 2026, 15:04"; a date
    alone is shown as a day."""
    parsed = _value(value)
    if isinstance(parsed, datetime):
        return format_moment(parsed, tz=_own_zone(parsed) if isinstance(value, str) else None)
    return day(value)


@register.filter
def month(value: Any) -> str:
    """``{{ month|month }}``: "December 2026" / "diciembre de 2026"."""
    parsed = _value(value)
    if isinstance(parsed, date):
        return format_month(parsed)
    return "" if value is None else str(value)
