"""The API's default filter backend (settings: REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]).

Kept apart from api/base.py: DRF reads this setting while ``rest_framework.generics`` is being
imported, so this module must not import generics itself.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
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
