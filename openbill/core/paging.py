"""A page of a list, as ``Paginator(...).get_page(number)`` gives it, without counting a list
whose first page holds it all.

Django's paginator counts the rows (one query) before it reads a page (another). Most clients'
lists fit on one page: reading the first page first tells its count when it is not full, and a
full first page is read once and counted as before.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator


def page_of(object_list: Any, per_page: int, number: Any) -> Page[Any]:
    """``Paginator(object_list, per_page).get_page(number)``: the same page, the same numbers."""
    paginator = Paginator(object_list, per_page)
    if not _first(number):
        return paginator.get_page(number)
    rows = list(object_list[:per_page])
    if len(rows) < per_page:
        paginator.__dict__["count"] = len(rows)  # Paginator.count is a cached property
    return paginator._get_page(rows, 1, paginator)  # type: ignore[attr-defined]


def _first(number: Any) -> bool:
    """Whether ``get_page(number)`` is the first page whatever the count: no number, one that is
    not an integer, or 1. (Zero, a negative or a too high number is the last page.)"""
    if number is None:
        return True
    try:
        return int(number) == 1
    except (TypeError, ValueError):
        return True
