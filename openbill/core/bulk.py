"""Set-based filling of tables, for the benchmarks at a million rows.

``insert_series`` writes many rows of a model in one ``INSERT … SELECT``: every column holds a
template instance's value (its defaults and what the caller set, prepared by the model's own
fields), except the columns the caller gives as SQL expressions over the rows of ``source``
(typically ``generate_series(…) g``). The database builds the rows; Python never loops over
them. PostgreSQL and SQLite both run it (``generate_series`` is PostgreSQL's; on SQLite pass a
``source`` of its own).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model


def insert_series(
    model: type[Model],
    template: Model,
    *,
    varying: dict[str, str],
    source: str,
    params: list[Any] | None = None,
) -> int:
    """Insert one row of ``model`` per row of ``source``; returns the number inserted.

    ``varying`` maps a column name to its SQL expression over ``source``'s rows. ``params``
    fill the ``%s`` of those expressions (in the model's column order) and then ``source``'s.
    Column and table names come from the model, never from input.
    """
    unknown = set(varying) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column {sorted(unknown)}")
    columns: list[str] = []
    values: list[str] = []
    bound: list[Any] = []
    expressions = iter(params or [])
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in varying:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in varying:
            values.append(varying[field.column])
            bound.extend(next(expressions) for _ in range(varying[field.column].count("%s")))
        else:
            values.append("%s")
            bound.append(field.get_db_prep_save(field.pre_save(template, add=True), connection))
    bound.extend(expressions)  # the rest are the source's
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}",  # noqa: S608
            bound,
        )
        return cursor.rowcount
