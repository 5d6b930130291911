"""The PostgreSQL backend reads timestamps with psycopg's C loader on a UTC connection, and gives
exactly the datetimes Django's own loader gives (core/postgresql/base.py)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.adapt import Transformer

from openbill.core.postgresql.base import C_LOADER, UtcTimestampLoader

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Offsets, fractions, the ends of the range, a day without its hour (a DST change elsewhere).
VALUES = [
    "2026-01-01 00:00:00+05:30",
    "2026-12-06 23:59:59.999999-11",
    "2026-03-29 02:30:00.5+02",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2000-02-29 12:00:00.000001+00",
]


class DjangoUtcLoader(BaseTzLoader):  # type: ignore[misc,valid-type]
    """What Django itself registers for a UTC connection."""

    timezone = datetime.UTC


def read_all(loader: type) -> list[datetime.datetime]:
    raw = connection.connection
    raw.adapters.register_loader("timestamptz", loader)
    try:
        values = ", ".join(f"'{value}'::timestamptz" for value in VALUES)
        return list(raw.execute(f"SELECT {values}").fetchone())
    finally:
        raw.adapters.register_loader("timestamptz", UtcTimestampLoader)


def test_the_connection_reads_timestamps_with_the_c_loader() -> None:
    connection.ensure_connection()
    assert C_LOADER is not None  # psycopg[binary] is what the project installs
    assert connection.connection.adapters.get_loader(1184, 0) is UtcTimestampLoader
    loader = Transformer(connection.connection).get_loader(1184, 0)  # as a query's rows meet it
    assert isinstance(loader, UtcTimestampLoader)
    assert isinstance(loader.load.__self__, C_LOADER)  # psycopg's C loader, not BaseTzLoader.load


def test_every_value_equals_what_djangos_loader_gives() -> None:
    connection.ensure_connection()
    ours, django = read_all(UtcTimestampLoader), read_all(DjangoUtcLoader)
    assert ours == django
    assert all(value.tzinfo is datetime.UTC for value in ours + django)
    assert ours[0] == datetime.datetime(2025, 12, 31, 18, 30, tzinfo=datetime.UTC)
    assert ours[1].microsecond == 999999


def test_a_connection_in_another_time_zone_keeps_djangos_loading() -> None:
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("SET TIME ZONE 'Europe/Madrid'")
    try:
        loader, django = UtcTimestampLoader(1184, raw), DjangoUtcLoader(1184, raw)
        assert loader.load.__func__ is BaseTzLoader.load  # type: ignore[attr-defined]
        for value in (b"2026-07-01 12:00:00+02", b"2026-01-01 00:00:00.25+00"):
            assert loader.load(value) == django.load(value)
    finally:
        raw.execute("SET TIME ZONE 'UTC'")
