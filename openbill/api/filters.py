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
