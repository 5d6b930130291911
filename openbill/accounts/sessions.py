"""Sessions: timeouts, the list of a user's sessions, logging one or the others out, the
re-authentication window, and the notice of a login from a new address (ASVS 3.x, 7.x).

The idle timeout is ``OPENBILL_SESSION_IDLE_SECONDS`` (30 min): the middleware keeps the time
of the last request in the session — written at most once a minute, so reading pages does not
write the session table on every request — and logs out a session unused for longer. The
absolute timeout is ``SESSION_COOKIE_AGE`` (12 h) counted from the login: each session write
would push the cookie's and the table's expiry on, so the login time is kept in the session
and checked here.

The session engine that keeps each session's user, address and times as columns is
``accounts/session_store.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, logout, update_session_auth_hash
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from openbill.core.notify import notify

from .models import LoginAddress, User, UserSession
from .selectors import client_of
from .session_store import ADDRESS, AGENT, LAST_SEEN, LOGGED_IN, SessionStore, valid_address

REAUTH_AT = "openbill_reauth_at"
WRITE_EVERY = 60  # seconds
# How long a password (and code, with 2FA) entered again keeps sensitive changes open.
REAUTH_SECONDS = 10 * 60


def client_address(request: HttpRequest) -> str | None:
    """The caller's address as the per-address limits count it (``OPENBILL_NUM_PROXIES``)."""
    return valid_address(BaseThrottle().get_ident(request))  # type: ignore[arg-type]


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
    """At login both clocks start, and the session keeps where it came from (saved with the
    login's own session write). A login has just checked the password (and the code, with
    two-factor authentication): it opens the re-authentication window too."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = request.session[LOGGED_IN] = request.session[REAUTH_AT] = time.time()
        request.session[ADDRESS] = client_address(request)
        request.session[AGENT] = request.headers.get("user-agent", "")[:300]


# --- re-authentication ---------------------------------------------------------------------------
def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[REAUTH_AT] = time.time()


def reauthenticated_recently(request: HttpRequest) -> bool:
    """Whether this session entered the password (and code) in the last ``REAUTH_SECONDS``."""
    at = getattr(request, "session", {}).get(REAUTH_AT)
    return isinstance(at, int | float) and 0 <= time.time() - at <= REAUTH_SECONDS


# --- the user's sessions -------------------------------------------------------------------------
def public_id(row: UserSession) -> str:
    """What a page shows for a session instead of its key (the key is the credential)."""
    return salted_hmac("openbill.accounts.sessions.public_id", row.session_key).hexdigest()[:24]


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that are still logged in, most recently used first: not expired,
    within the idle and absolute timeouts, and made with the current password and epoch
    (a session whose auth hash no longer matches is logged out on its next request)."""
    now = timezone.now()
    expected = user.get_session_auth_hash()
    store = SessionStore()
    idle = settings.OPENBILL_SESSION_IDLE_SECONDS
    rows = UserSession.objects.filter(user=user, expire_date__gt=now).order_by(
        F("last_seen_at").desc(nulls_last=True), "-expire_date"
    )
    active = []
    for row in rows:
        data = store.decode(row.session_data)
        if not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), expected):
            continue
        if idle and row.last_seen_at and (now - row.last_seen_at).total_seconds() > idle:
            continue
        if row.logged_in_at and (now - row.logged_in_at).total_seconds() > settings.SESSION_COOKIE_AGE:
            continue
        row.public_id = public_id(row)  # type: ignore[attr-defined]
        row.browser = describe_agent(row.user_agent)  # type: ignore[attr-defined]
        active.append(row)
    return active


def log_out_session(request: HttpRequest, session_id: str) -> bool:
    """End the caller's session ``session_id`` (a public id); False when the caller has none by
    that id — another user's session is never found, whatever its id."""
    user = request.user
    assert isinstance(user, User)
    for row in UserSession.objects.filter(user=user):
        if constant_time_compare(public_id(row), session_id):
            if row.session_key == request.session.session_key:
                logout(request)
            else:
                row.delete()
            return True
    return False


def end_sessions(user: User) -> None:
    """Every session of ``user`` stops being logged in (API tokens are not sessions)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    # The raised epoch already refuses them; their rows go too, so the Profile's list shows the truth.
    UserSession.objects.filter(user=user).delete()


def log_out_other_sessions(request: HttpRequest) -> None:
    """Every other session of the caller stops being logged in; this one stays."""
    user = request.user
    assert isinstance(user, User)
    end_sessions(user)
    update_session_auth_hash(request, user)  # this one stays, under a new key


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def agent_parts(user_agent: str) -> tuple[str, str]:
    """(browser, system) named from a User-Agent header, "" where not recognised."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = ""
    for mark, name in _SYSTEMS:
        if mark.search(user_agent) if isinstance(mark, re.Pattern) else mark in user_agent:
            system = name
            break
    return browser, system


def describe_agent(user_agent: str) -> str:
    """ "Firefox on Linux": enough to tell one's devices apart."""
    browser, system = agent_parts(user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown browser")


# --- a login from a new address ------------------------------------------------------------------
def notice_new_address(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Remember the address of each login; the first login from an address not seen before
    (for a user who has logged in before) sends the account a notice, once per address."""
    address = client_address(request) if request is not None else None
    if address is None or not isinstance(user, User):
        return
    now = timezone.now()
    seen_before = LoginAddress.objects.filter(user=user).exists()
    _row, created = LoginAddress.objects.get_or_create(user=user, address=address, defaults={"first_seen_at": now})
    if not (created and seen_before and user.login_notices):
        return
    client = client_of(user)
    if client is None:
        return
    browser, system = agent_parts(request.headers.get("user-agent", "") if request is not None else "")
    notify(
        client,
        "login_new_address",
        key=f"login-address:{user.pk}:{address}",
        now=now,
        context={
            "user_email": user.email,
            "address": address,
            "browser": browser,
            "system": system,
            # ISO with the provider's offset: the mail shows it on that wall clock (|moment).
            "at": now.astimezone(client.provider.tz).isoformat(timespec="seconds"),
        },
    )
