"""Numbers as people read them, in their language (Babel): "1.5" in English, "1,5" in Spanish.

Numbers a machine reads — SVG coordinates, form values, JSON, data attributes — are never
localized: build them with ``plain_number`` (or ``|unlocalize`` in a template).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal
from django.conf import settings
from django.utils import timezone, translation


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


# --- dates and times, as people read them -------------------------------------------------------
# A calendar day per language: the seed's "Expires 2025-08-07" in English, "07/08/2025" in
# Spanish. A moment adds the 24-hour wall clock ("2025-08-07 14:05", "07/08/2025 14:05"), in
# the provider's zone (the zone the request activated, see accounts.middleware; or ``tz``).
# Every page, mail and stored text shows dates through these three functions (templates:
# ``|day``, ``|moment``, ``|month``); the API keeps ISO 8601.
DATE_PATTERNS = {"en": "yyyy-MM-dd", "es": "dd/MM/yyyy"}
TIME_PATTERN = "HH:mm"


def _date_pattern(language: str | None) -> str:
    code = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return DATE_PATTERNS.get(code, DATE_PATTERNS[settings.LANGUAGE_CODE])


def local_moment(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """``moment`` on the wall clock of ``tz`` (default: the active zone); naive stays as it is."""
    if timezone.is_naive(moment):
        return moment
    return moment.astimezone(tz or timezone.get_current_timezone())


def format_day(value: date | datetime, language: str | None = None, tz: tzinfo | None = None) -> str:
    """A calendar day: "2025-08-07" (English, as the seed writes it), "07/08/2025" (Spanish).
    A moment is first put on the wall clock of ``tz`` (default: the active zone)."""
    if isinstance(value, datetime):
        value = local_moment(value, tz).date()
    return format_date(value, _date_pattern(language), locale=babel_locale(language))


def format_moment(moment: datetime, language: str | None = None, tz: tzinfo | None = None) -> str:
    """A moment: "2025-08-07 14:05" (English), "07/08/2025 14:05" (Spanish), in ``tz``."""
    local = local_moment(moment, tz)
    return f"{format_day(local.date(), language)} {format_time(local, TIME_PATTERN, locale=babel_locale(language))}"


def format_month(value: date | datetime, language: str | None = None, tz: tzinfo | None = None) -> str:
    """A month, named in the language: "August 2025", "agosto de 2025"."""
    if isinstance(value, datetime):
        value = local_moment(value, tz).date()
    return format_skeleton("yMMMM", value, locale=babel_locale(language))
