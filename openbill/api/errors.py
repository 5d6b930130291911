"""The pieces of the API's error shape that parsers and middleware use (no DRF view imports here,
so DRF's settings can load the parsers without a cycle)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            _("The request body is larger than the limit of %(limit)d bytes.") % {"limit": limit},
            self.default_code,
        )


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """The documented error object (for errors answered outside the exception handler)."""
    return {"detail": detail, "code": code, **extra}
