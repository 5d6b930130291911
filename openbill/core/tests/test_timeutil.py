"""Calendar arithmetic: months clamp to the month's end, periods follow the provider's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from openbill.core.timeutil import add_months, add_period, local_date, share_of_period, start_of_local_day

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (utc(2025, 1, 31, 10), 1, utc(2025, 2, 28, 10)),
        (utc(2024, 1, 31, 10), 1, utc(2024, 2, 29, 10)),  # leap year
        (utc(2024, 2, 29), 12, utc(2025, 2, 28)),  # 29 February plus a year
        (utc(2024, 2, 29), 48, utc(2028, 2, 29)),
        (utc(2025, 3, 31), 1, utc(2025, 4, 30)),
        (utc(2025, 8, 31), 6, utc(2026, 2, 28)),
        (utc(2025, 11, 30), 3, utc(2026, 2, 28)),
        (utc(2025, 12, 15), 1, utc(2026, 1, 15)),  # over the year end
        (utc(2025, 1, 15), 36, utc(2028, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


def test_a_month_after_31_january_then_another_does_not_drift_back():
    # Each renewal is computed from the expiry it extends: 31 Jan → 28 Feb → 28 Mar.
    first = add_period(utc(2025, 1, 31), "month")
    second = add_period(first, "month")

    assert (first, second) == (utc(2025, 2, 28), utc(2025, 3, 28))


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("day", utc(2025, 1, 2)),
        ("month", utc(2025, 2, 1)),
        ("3months", utc(2025, 4, 1)),
        ("6months", utc(2025, 7, 1)),
        ("year", utc(2026, 1, 1)),
        ("2years", utc(2027, 1, 1)),
        ("3years", utc(2028, 1, 1)),
    ],
)
def test_add_period_covers_every_period_a_tariff_sells(period, expected):
    assert add_period(utc(2025, 1, 1), period) == expected


def test_a_month_keeps_local_midnight_across_the_spring_dst_change():
    # 1 March 00:00 in Madrid is 23:00 UTC the day before (CET, +1); 1 April is CEST (+2).
    bought = datetime(2025, 3, 1, tzinfo=MADRID).astimezone(UTC)

    renewed = add_period(bought, "month", MADRID)

    assert renewed.astimezone(MADRID) == datetime(2025, 4, 1, tzinfo=MADRID)
    assert renewed == utc(2025, 3, 31, 22)
    assert renewed - bought == timedelta(days=31) - timedelta(hours=1)


def test_a_day_across_the_autumn_dst_change_is_25_hours_of_wall_clock():
    start = datetime(2025, 10, 26, tzinfo=MADRID).astimezone(UTC)

    end = add_period(start, "day", MADRID)

    assert end.astimezone(MADRID) == datetime(2025, 10, 27, tzinfo=MADRID)
    assert end - start == timedelta(hours=25)


def test_without_a_zone_a_day_is_24_hours():
    assert add_period(utc(2025, 10, 26), "day") - utc(2025, 10, 26) == timedelta(hours=24)


def test_the_local_date_is_the_providers():
    moment = utc(2025, 8, 7, 23, 30)

    assert local_date(moment, ZoneInfo("UTC")).isoformat() == "2025-08-07"
    assert local_date(moment, MADRID).isoformat() == "2025-08-08"
    assert local_date(moment, NEW_YORK).isoformat() == "2025-08-07"


def test_start_of_local_day_is_midnight_in_the_providers_zone():
    assert start_of_local_day(utc(2025, 8, 7, 23, 30), MADRID) == utc(2025, 8, 7, 22)
    assert start_of_local_day(utc(2025, 1, 7, 3), NEW_YORK) == utc(2025, 1, 6, 5)


@pytest.mark.parametrize(
    ("used_days", "expected"),
    [(0, Fraction(0)), (15, Fraction(15, 30)), (30, Fraction(1)), (45, Fraction(3, 2)), (-1, Fraction(0))],
)
def test_share_of_period_counts_seconds_exactly(used_days, expected):
    start = utc(2025, 4, 1)
    period_end = utc(2025, 5, 1)  # 30 days

    assert share_of_period(start, start + timedelta(days=used_days), start, period_end) == expected


def test_share_of_an_empty_period_is_an_error():
    with pytest.raises(ValueError, match="empty period"):
        share_of_period(utc(2025, 1, 1), utc(2025, 1, 2), utc(2025, 1, 1), utc(2025, 1, 1))
