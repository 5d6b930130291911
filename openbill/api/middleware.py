"""Errors from every layer under /api/ answer the documented JSON shape (api/exceptions.py).

DRF's exception handler shapes what goes wrong inside an API view. This middleware, placed right
after the request-id middleware, covers everything else:

- a body whose ``Content-Length`` is over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a multipart upload:
  ``OPENBILL_MAX_UPLOAD_BYTES``) → 413 before anything reads it (the JSON parser also stops at that size when no length is given);
- an exception no handler answered → 500 ``server_error`` with the ``request_id``, logged with
  its traceback under that id;
- an error page made by Django or another middleware (HTML 400/403/404/405/413/500 …) → the same
  status as a JSON error;
- any other 5xx JSON error gains the ``request_id`` and is logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from openbill.core import request_id

from .errors import RequestTooLarge, error_body

logger = logging.getLogger("openbill.api")

API_PREFIX = "/api/"

# Django answers these itself (as HTML): they are client errors, not crashes.
_CLIENT_ERRORS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest, MultiPartParserError)


def _codes() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("Bad request.")),
        403: ("permission_denied", _("You do not have permission to perform this action.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("Method not allowed.")),
        413: ("request_too_large", _("The request body is too large.")),
    }


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _body_limit(request: HttpRequest) -> int | None:
    """Multipart uploads stream their files to disk (support attachments: 5 × 10 MB), so they get
    their own, larger cap; every other body is read into memory and keeps the small one."""
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        return int(settings.OPENBILL_MAX_UPLOAD_BYTES)
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _is_json(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        limit = _body_limit(request)
        if limit is not None and _content_length(request) > limit:
            too_large = RequestTooLarge(limit)
            return JsonResponse(error_body(str(too_large.detail), too_large.default_code, max_bytes=limit), status=413)
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming:
            return response
        if not _is_json(response):
            if getattr(response, "data", None) is not None and response.status_code < 500:
                return response  # DRF's browsable API: already the shaped error, shown as HTML
            return self._replace(request, response)
        if response.status_code >= 500 and not getattr(response, "_openbill_logged", False):
            return self._with_request_id(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path_info.startswith(API_PREFIX) or isinstance(exception, _CLIENT_ERRORS):
            return None
        logger.error(
            "Server error on %s %s (request %s)",
            request.method,
            request.path,
            request_id.current(),
            exc_info=exception,
        )
        return self._server_error(500, logged=True)

    def _server_error(self, status: int, *, logged: bool) -> JsonResponse:
        response = JsonResponse(
            error_body(
                _("Server error. Please try again later; quote the request id if you contact support."),
                "server_error",
                request_id=request_id.current(),
            ),
            status=status,
        )
        response._openbill_logged = logged  # type: ignore[attr-defined]
        return response

    def _replace(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        status = response.status_code
        if status >= 500:
            # Django has logged the traceback (with this id on the line); say which answer it was.
            logger.error(
                "Server error %d on %s %s (request %s)", status, request.method, request.path, request_id.current()
            )
            replaced = self._server_error(status, logged=True)
        else:
            code, detail = _codes().get(status, ("error", response.reason_phrase))
            replaced = JsonResponse(error_body(detail, code), status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replaced[header] = response[header]
        return replaced

    def _with_request_id(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        logger.error(
            "Server error %d on %s %s (request %s)",
            response.status_code,
            request.method,
            request.path,
            request_id.current(),
        )
        try:
            body: Any = json.loads(response.content)  # type: ignore[attr-defined]
        except (ValueError, AttributeError):
            return self._server_error(response.status_code, logged=True)
        if isinstance(body, dict):
            body.setdefault("detail", str(response.reason_phrase))
            body["code"] = body.get("code") or "server_error"
            body["request_id"] = request_id.current()
            response.content = json.dumps(body).encode()  # type: ignore[attr-defined]
        return response
