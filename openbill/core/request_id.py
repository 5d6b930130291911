"""A request id for every request: sent back as ``X-Request-ID`` and put on every log line.

The API's 5xx answers carry it in the body too (``request_id``), so a client reporting an error
gives the id under which its traceback was logged.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_current: ContextVar[str] = ContextVar("request_id", default="-")


def current() -> str:
    """The id of the request this thread is serving ("-" outside a request)."""
    return _current.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record, for the log format's ``%(request_id)s``."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a request's 4xx/5xx line after the middleware has returned: read it from
        # the request the record carries.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or _current.get()
        return True


class RequestIdMiddleware:
    """Outermost: gives each request a fresh id (never the caller's, which could be anything)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response
