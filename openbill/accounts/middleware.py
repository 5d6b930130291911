"""Attaches the caller's client account to the request (``request.client``), and speaks the
logged-in user's language: the one saved on the user (Profile, language switch) is the language
of their pages and their mail, whatever browser they use. Pages show dates and times in the
provider's zone (``Provider.time_zone``): the middleware activates it for a client's request, so
``{{ when|moment }}`` (core.formats) needs no zone. The API keeps its ISO 8601 answers in UTC."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject

from .selectors import client_of


class ClientMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.client = SimpleLazyObject(lambda: client_of(request.user))  # type: ignore[attr-defined]
        user = request.user
        # The API answers in the request's language (Accept-Language), as API clients expect.
        if user.is_authenticated and not request.path.startswith("/api/"):
            language = getattr(user, "language", "")
            if language in dict(settings.LANGUAGES) and language != translation.get_language():
                translation.activate(language)
                request.LANGUAGE_CODE = language
            client = client_of(user)
            # The account itself from here on (it is loaded with the user, accounts.backends):
            # a page reads it on every row, and each read through the lazy object costs a call.
            request.client = client  # type: ignore[attr-defined]
            if client is not None:
                timezone.activate(client.provider.tz)
                try:
                    return self.get_response(request)
                finally:
                    timezone.deactivate()
        return self.get_response(request)
