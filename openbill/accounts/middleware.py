"""Attaches the caller's client account to the request (``request.client``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .selectors import client_of


class ClientMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.client = SimpleLazyObject(lambda: client_of(request.user))  # type: ignore[attr-defined]
        return self.get_response(request)
