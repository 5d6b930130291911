"""Dates and times as people read them (core.formats and the |day |moment |month filters): a
day as the seed writes it, a moment and a month in the reader's language, on the provider's
wall clock; a mail's stored ISO string on the clock it was stored with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.template import engines
from django.utils import timezone, translation

from openbill.core.formats import format_day, format_moment, format_month

MADRID = ZoneInfo("Europe/Madrid")
AT = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 2027 in Madrid


def test_each_form_in_each_language_on_the_providers_clock() -> None:
    assert format_day(AT, "es", tz=MADRID) == "2027-01-01"
    assert format_day(AT, "en", tz=UTC) == "2026-12-31"
    assert format_moment(AT, "en", tz=MADRID) == "Jan 1, 2027, 12:30\u202fAM"
    assert format_moment(AT, "es", tz=MADRID) == "1 ene 2027, 0:30"
    assert format_month(date(2026, 8, 1), "en") == "August 2026"
    assert format_month(date(2026, 8, 1), "es") == "agosto de 2026"


def test_the_filters_use_the_active_zone_and_language_and_read_stored_iso_strings() -> None:
    template = engines["text"].from_string("{{ at|moment }} | {{ at|day }} | {{ stored|moment }} | {{ day|day }}")
    context = {"at": AT, "stored": "2026-12-06T10:00:00+01:00", "day": "2026-12-16"}
    with translation.override("es"), timezone.override(MADRID):
        assert template.render(context) == "1 ene 2027, 0:30 | 2027-01-01 | 6 dic 2026, 10:00 | 2026-12-16"
    with translation.override("en"), timezone.override(UTC):
        assert template.render(context) == (
            "Dec 31, 2026, 11:30\u202fPM | 2026-12-31 | Dec 6, 2026, 10:00\u202fAM | 2026-12-16"
        )
    assert engines["text"].from_string("{{ x|moment }}{{ y|day }}").render({"x": None, "y": "soon"}) == "soon"
