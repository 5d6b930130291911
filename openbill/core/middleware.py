"""Middleware of every request: response headers every page and API answer gets; ids out of range."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers


class NoStoreWhenAuthenticatedMiddleware:
    """``Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private`` (Django's
    never_cache) on every answer to an authenticated caller.

    What a logged-in user sees (balances, invoices, a new API token, a certificate's private
    key) must not be kept by the browser's cache or a proxy, where the next user of the machine
    could read it. The check runs after the view, so a caller DRF authenticated by token counts
    too (DRF sets the user on the underlying request); a request that carried an Authorization
    header counts even when it failed. Static files never reach this middleware (WhiteNoise
    answers them first), so they keep their own caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            add_never_cache_headers(response)
        return response


# The largest id a row can have (a signed 64-bit integer, on PostgreSQL and SQLite alike).
MAX_ID = 2**63 - 1


class OutOfRangeIdMiddleware:
    """A path with a number no id can reach (``/api/v1/domains/65763837664492933049483264/``)
    is a 404 before any view runs: handed to the database, such a number is an error
    (OverflowError on SQLite, out of range on PostgreSQL) where the answer is simply "not
    found". One check here instead of one in every view that looks a row up by its id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        for segment in request.path_info.split("/"):
            if segment.isascii() and segment.isdigit() and int(segment) > MAX_ID:
                raise Http404("No such id.")
        return self.get_response(request)
