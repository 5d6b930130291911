"""Maps domain errors to HTTP answers: 400 with the field, 402, 403, 409."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from openbill.core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body[exc.field] = [exc.message]
        if exc.details:
            body["details"] = exc.details
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=400)
        return Response({"detail": exc.messages}, status=400)
    return drf_exception_handler(exc, context)
