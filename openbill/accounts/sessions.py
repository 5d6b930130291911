"""Session timeouts and logging out a user's other sessions (ASVS 7.3, 7.4).

The idle timeout is ``OPENBILL_SESSION_IDLE_SECONDS`` (30 min): the middleware keeps the time
of the last request in the session — written at most once a minute, so reading pages does not
write the session table on every request — and logs out a session unused for longer. The
absolute timeout is ``SESSION_COOKIE_AGE`` (12 h) counted from the login: each session write
would push the cookie's and the table's expiry on, so the login time is kept in the session
and checked here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout, update_session_auth_hash
from django.db.models import F
from django.http import HttpRequest, HttpResponse

from .models import User

LAST_SEEN = "openbill_last_seen"
LOGGED_IN = "openbill_logged_in"
WRITE_EVERY = 60  # seconds


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            since = request.session.get(LOGGED_IN)
            idle = settings.OPENBILL_SESSION_IDLE_SECONDS
            too_idle = isinstance(last, int | float) and idle and now - last > idle
            too_old = isinstance(since, int | float) and now - since > settings.SESSION_COOKIE_AGE
            if too_idle or too_old:
                logout(request)  # flushes the session: a new key, nothing of the old one left
            elif not isinstance(last, int | float) or now - last >= WRITE_EVERY:
                request.session[LAST_SEEN] = now
                request.session.setdefault(LOGGED_IN, now)  # a session from before these clocks
        return self.get_response(request)


def start_idle_clock(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At login both clocks start (saved with the login's own session write)."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = request.session[LOGGED_IN] = time.time()


def end_sessions(user: User) -> None:
    """Every session of ``user`` stops being logged in (API tokens are not sessions)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def log_out_other_sessions(request: HttpRequest) -> None:
    """Every other session of the caller stops being logged in; this one stays."""
    user = request.user
    assert isinstance(user, User)
    end_sessions(user)
    update_session_auth_hash(request, user)
