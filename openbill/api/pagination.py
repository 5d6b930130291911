"""Limit/offset pagination that refuses what it cannot honour instead of guessing."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_LIMIT = 200


class Pagination(pagination.LimitOffsetPagination):
    """``?limit=`` (1–200, default 50) and ``?offset=`` (0 or more).

    DRF's own class silently ignores a bad value; a client that asks for ``limit=abc`` or
    ``limit=100000`` would then get a page it did not ask for. Here it gets a 400 naming the
    parameter.
    """

    default_limit = 50
    max_limit = MAX_LIMIT

    def _parse(self, request: Request, name: str, minimum: int, maximum: int | None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            if maximum is None:
                message = _("Enter a whole number of at least %(min)s.") % {"min": minimum}
            else:
                message = _("Enter a whole number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum}
            raise ValidationError({name: [message]})
        return value

    def get_limit(self, request: Request) -> int:
        value = self._parse(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if value is None else value

    def get_offset(self, request: Request) -> int:
        value = self._parse(request, self.offset_query_param, 0, None)
        return 0 if value is None else value

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_limit}
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 0}
        return parameters
