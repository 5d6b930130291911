"""Limits on the authentication surfaces beyond the login form (ASVS 6.3.1).

Every limit is the API's token failure throttle (``api/throttling.TokenFailureThrottle``, a
count of recent events in the cache) under another scope, counted per client address or per
account: a link (password reset or email confirmation) that does not check, a sign-up, a reset
request, a wrong TOTP code. The rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]``.
Once a count is reached every request of that kind from that address (or for that account) is
answered 429 until the window has passed — even a right one, so a lucky guess late in the
window gains nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .api.throttling import TokenFailureThrottle


class Limit(TokenFailureThrottle):
    """``TokenFailureThrottle`` under ``scope``, per address — or per ``account`` when given."""

    def __init__(self, scope: str, account: str = "") -> None:
        self.scope = scope
        self.account = account
        super().__init__()

    def get_cache_key(self, request: Any, view: Any) -> str:
        if self.account:
            ident = "account:" + hashlib.sha256(self.account.strip().lower().encode()).hexdigest()
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def blocked(request: HttpRequest, *limits: Limit) -> float | None:
    """Seconds to wait when any of ``limits`` is used up, else None."""
    waits = [wait for limit in limits if (wait := limit.wait_if_blocked(request)) is not None]
    return max(waits) if waits else None


def record(request: HttpRequest, *limits: Limit) -> None:
    for limit in limits:
        limit.record_failure(request)


def too_many(request: HttpRequest, wait: float) -> HttpResponse:
    """A 429 page with Retry-After."""
    response = render(request, "clientarea/auth/too_many.html", status=429)
    response["Retry-After"] = str(int(wait) + 1)
    return response
