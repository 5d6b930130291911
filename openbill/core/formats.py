"""Numbers as people read them, in their language (Babel): "1.5" in English, "1,5" in Spanish.

Numbers a machine reads — SVG coordinates, form values, JSON, data attributes — are never
localized: build them with ``plain_number`` (or ``|unlocalize`` in a template).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal
from django.conf import settings
from django.utils import timezone, translation


def babel_locale(language: str | None = None) -> Locale:
    """Babel's locale for ``language`` (default: the active language)."""
    return _locale(locale_name(language))


def locale_name(language: str | None = None) -> str:
    """``language`` (default: the active language) as a locale name: "en", "es"."""
    return translation.to_locale(language or translation.get_language() or settings.LANGUAGE_CODE)


@lru_cache(maxsize=4096)
def decimal_text(value: str, pattern: str, locale: str) -> str:
    """``value`` (a Decimal's text: "-0.00" and "0.00" stay apart) in a CLDR ``pattern``, no
    thousands separator, quantized to the pattern: remembered, since a list page formats the
    same few amounts on every row and Babel takes ~20 µs each."""
    return format_decimal(
        Decimal(value), format=pattern, locale=_locale(locale), decimal_quantization=True, group_separator=False
    )


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    """Parsed once per process: a list page formats a date and an amount on every row."""
    return Locale.parse(name)


def format_number(value: Decimal | int, places: int = 2, language: str | None = None) -> str:
    """At most ``places`` decimals, trailing zeros dropped, no thousands separator: "2", "1,5"."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    pattern = "0." + "#" * places if places else "0"
    return decimal_text(str(rounded), pattern, locale_name(language))


def plain_number(value: float | Decimal | int, places: int = 2) -> str:
    """A number for markup (SVG, attributes, JSON): a point, never a comma, trailing zeros dropped."""
    text = f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- dates and times, as people read them -------------------------------------------------------
# A calendar day as the seed writes it ("Expires 2025-08-07", "Vence el 2025-08-07"), the same in
# every language; a moment in the reader's language, the date with its month named ("Dec 16,
# 2026, 3:04 PM", "16 dic 2026, 15:04"); a month by name ("December 2026", "diciembre de
# 2026"). Moments on the provider's wall clock: the zone the request activated (see
# accounts.middleware), or ``tz``. Every page and mail shows dates through these three functions
# (templates: ``|day``, ``|moment``, ``|month``); stored texts too (core.texts); the API keeps
# ISO 8601.
DAY_PATTERN = "yyyy-MM-dd"


def local_moment(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """``moment`` on the wall clock of ``tz`` (default: the active zone); naive stays as it is."""
    if timezone.is_naive(moment):
        return moment
    return moment.astimezone(tz or timezone.get_current_timezone())


def format_day(value: date | datetime, language: str | None = None, tz: tzinfo | None = None) -> str:
    """A calendar day: "2025-08-07" (the seed's form, in every language). A moment is first put
    on the wall clock of ``tz`` (default: the active zone)."""
    if isinstance(value, datetime):
        value = local_moment(value, tz).date()
    return _day_text(value, locale_name(language))


@lru_cache(maxsize=4096)
def _day_text(day: date, locale: str) -> str:
    return format_date(day, DAY_PATTERN, locale=_locale(locale))


def format_moment(moment: datetime, language: str | None = None, tz: tzinfo | None = None) -> str:
    """A moment in the language, on the wall clock of ``tz``: "Dec 16, 2026, 3:04 PM" (CLDR puts
    a narrow no-break space before "PM"), "16 dic 2026, 15:04"."""
    local = local_moment(moment, tz)
    locale = Locale.parse(babel_locale(language))
    pattern = str(locale.datetime_formats["medium"])
    return pattern.replace("{1}", format_date(local, "medium", locale=locale)).replace(
        "{0}", format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
    )


def format_month(value: date | datetime, language: str | None = None, tz: tzinfo | None = None) -> str:
    """A month, named in the language: "August 2025", "agosto de 2025"."""
    if isinstance(value, datetime):
        value = local_moment(value, tz).date()
    return format_skeleton("yMMMM", value, locale=babel_locale(language))
