"""Fixed SQL statements whose rows become model instances as the ORM makes them.

A statement run on every request (the session's user) or for every list page (a page's add-on
lines) costs more to build and compile through the ORM than to run. Such a statement is written
once per process from a model's own table and columns; ``Columns`` turns its rows into
instances through the fields' database converters (a boolean stored as an integer on SQLite, a
decimal's places, a datetime's zone) and ``Model.from_db``, as a queryset would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model


class Columns:
    """The concrete columns of ``models`` on the database ``alias``, in order, qualified by table
    (``select``), and how a row of them becomes one instance of each model (``instances``)."""

    def __init__(self, alias: str, *models: type[Model]) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        self.alias = alias
        self.models = models
        fields = [field for model in models for field in model._meta.concrete_fields]
        self.select = ", ".join(f"{quote(field.model._meta.db_table)}.{quote(field.column)}" for field in fields)
        self.attnames = [[field.attname for field in model._meta.concrete_fields] for model in models]
        self.converters: list[tuple[int, Any, list[Any]]] = []
        for index, field in enumerate(fields):
            expression = field.get_col(field.model._meta.db_table)
            converters = [*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection)]
            if converters:
                self.converters.append((index, expression, converters))
        self.width = len(fields)

    def instances(self, row: Sequence[Any]) -> list[Any]:
        """One instance of each model from the row's first ``width`` values."""
        values = list(row[: self.width])
        connection = connections[self.alias]
        for index, expression, converters in self.converters:
            for convert in converters:
                values[index] = convert(values[index], expression, connection)
        instances, start = [], 0
        for model, attnames in zip(self.models, self.attnames, strict=True):
            instances.append(model.from_db(self.alias, attnames, values[start : start + len(attnames)]))
            start += len(attnames)
        return instances


def quoted(alias: str, model: type[Model], name: str | None = None) -> str:
    """``model``'s table, or its field ``name``'s column qualified by the table, quoted."""
    quote = connections[alias].ops.quote_name
    table = quote(model._meta.db_table)
    if name is None:
        return table
    field: Any = model._meta.get_field(name)
    return f"{table}.{quote(field.column)}"
