"""The API's default filter backend (settings: REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]) and filters.

Kept apart from api/base.py: DRF reads this setting while ``rest_framework.generics`` is being
imported, so this module must not import generics itself.
"""

from __future__ import annotations

import inspect
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.request import Request

from openbill.accounts.selectors import client_of
from openbill.core.ordering import StableOrderingFilter


class ClientFilterBackend(DjangoFilterBackend):
    """django-filter's backend, giving the filterset the caller's client when it takes one
    (``ServiceFilterSet(client=…)`` limits its product-type choices to the client's provider)."""

    def get_filterset_kwargs(self, request: Request, queryset: QuerySet[Any], view: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and "client" in inspect.signature(filterset_class.__init__).parameters:
            kwargs["client"] = client_of(request.user)
        return kwargs


# Bounds of a 64-bit primary key: beyond them nothing can match, and SQLite cannot even bind
# the number (OverflowError), so the filter answers "none" without asking the database.
_ID_MIN, _ID_MAX = -(2**63), 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.Filter):
    """Filter by an integer id (``?service=12``): a non-integer is a 400 naming the parameter;
    an id that exists nowhere (or not for this client) simply matches nothing."""

    field_class = forms.IntegerField

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in EMPTY_VALUES:
            return qs
        if not _ID_MIN <= value <= _ID_MAX:
            return qs.none()
        result: QuerySet[Any] = super().filter(qs, value)
        return result


class _RepeatedOrCommaWidget(django_filters.widgets.CSVWidget):
    """Reads ``?ordering=a&ordering=b`` (what generated clients send for an array) and
    ``?ordering=a,b`` alike; Django's ``QueryDict.get`` would keep only the last repeat."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str] | None:
        if not hasattr(data, "getlist"):
            result: list[str] | None = super().value_from_datadict(data, files, name)
            return result
        values = data.getlist(name)
        if not values:
            return None
        return [part for value in values for part in value.split(",") if part != ""] or []


class OrderingFilter(StableOrderingFilter):
    """Sort keys in order of precedence, repeated or comma-separated; ``-`` sorts descending.
    Document it with :func:`ordering_parameter` (an exploded array, as clients send it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", _RepeatedOrCommaWidget)
        super().__init__(*args, **kwargs)


def ordering_parameter(filterset_class: type[django_filters.FilterSet], name: str = "ordering") -> Any:
    """The schema of an :class:`OrderingFilter`: an array of sort keys sent as repeated
    parameters (``?ordering=name&ordering=-id``); one comma-separated value is accepted too."""
    from drf_spectacular.utils import OpenApiParameter

    ordering = filterset_class.base_filters[name]
    keys = [key for key, _label in ordering.extra["choices"]]
    return OpenApiParameter(
        name=name,
        type={"type": "array", "items": {"type": "string", "enum": keys}},
        location=OpenApiParameter.QUERY,
        required=False,
        explode=True,
        style="form",
        description=(
            "Sort keys in order of precedence, `-` for descending: `?ordering=status&ordering=-name` "
            "(or `?ordering=status,-name`). Default: newest first."
        ),
    )
