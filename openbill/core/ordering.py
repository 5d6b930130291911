"""Sorting a list by what the reader chose, the same way on every page."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting by a column many rows share (an expiry date, none yet, a status, a name) ends
    with the id in the same direction: without it the database may order equal rows
    differently from one page to the next, and a page would repeat some rows and skip others."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        qs = super().filter(qs, value)
        ordering = [term for term in qs.query.order_by if isinstance(term, str)]
        if (
            value
            and ordering
            and len(ordering) == len(qs.query.order_by)
            and ordering[-1].lstrip("-") not in ("id", "pk")
        ):
            qs = qs.order_by(*ordering, "-pk" if ordering[-1].startswith("-") else "pk")
        return qs
