"""Numbers as people read them, in their language (Babel): "1.5" in English, "1,5" in Spanish.

Numbers a machine reads — SVG coordinates, form values, JSON, data attributes — are never
localized: build them with ``plain_number`` (or ``|unlocalize`` in a template).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal
from django.conf import settings
from django.utils import translation


def babel_locale(language: str | None = None) -> str:
    """Babel's locale for ``language`` (default: the active language)."""
    return translation.to_locale(language or translation.get_language() or settings.LANGUAGE_CODE)


def format_number(value: Decimal | int, places: int = 2, language: str | None = None) -> str:
    """At most ``places`` decimals, trailing zeros dropped, no thousands separator: "2", "1,5"."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    pattern = "0." + "#" * places if places else "0"
    return format_decimal(rounded, format=pattern, locale=babel_locale(language), group_separator=False)


def plain_number(value: float | Decimal | int, places: int = 2) -> str:
    """A number for markup (SVG, attributes, JSON): a point, never a comma, trailing zeros dropped."""
    text = f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
