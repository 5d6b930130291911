"""One error shape for the whole API: every error is a JSON object with ``detail`` and ``code``.

- DomainError and its kinds → their HTTP status (400, 402, 403, 409), the message as ``detail``
  and, when the error is about one input, that input's name as a key: ``{"name": ["…"]}``.
- Validation errors (serializers, filters, pagination) → 400, keyed by the field they are about,
  plus ``detail`` (the first message) and ``code: "invalid"``.
- Everything DRF knows (401, 403, 404, 405, 429 …) keeps its status and gains ``code``.
- A body over the size limit → 413 ``request_too_large`` with the limit in ``max_bytes``.
- A server error (5xx) → ``code: "server_error"`` and a ``request_id`` (also the ``X-Request-ID``
  header) under which the error is logged.

This handler covers what happens inside a DRF view; ``openbill.api.middleware`` gives errors from
every other layer (URL routing, middleware, crashes) the same shape through ``error_body``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from openbill.core.errors import DomainError

from .errors import RequestTooLarge, error_body


def _first_message(data: Any) -> str:
    if isinstance(data, dict):
        for value in data.values():
            if message := _first_message(value):
                return message
        return ""
    if isinstance(data, list | tuple):
        for value in data:
            if message := _first_message(value):
                return message
        return ""
    return str(data)


def _validation_body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        data = {"non_field_errors": data if isinstance(data, list) else [data]}
    return {**data, "detail": _first_message(data), "code": "invalid"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body[exc.field] = [exc.message]
        if exc.details:
            body["details"] = exc.details
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(_validation_body(exc.message_dict), status=400)
        return Response(_validation_body(list(exc.messages)), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = error_body(_first_message(response.data), code)
        if isinstance(exc, RequestTooLarge):
            response.data["max_bytes"] = exc.limit
    return response
