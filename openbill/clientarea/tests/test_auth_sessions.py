"""Sessions end after 30 idle minutes or 12 hours, travel over HTTPS only, and other sessions
can be logged out (ASVS 7.x)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.accounts.models import UserSession
from openbill.accounts.session_store import SessionStore
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> HttpClient:
    http = HttpClient()
    assert http.post("/login/", {"username": user.email, "password": f.PASSWORD}).status_code == 302
    return http


def is_logged_in(http: HttpClient) -> bool:
    return http.get("/profile/").status_code == 200


def test_a_session_idle_for_more_than_30_minutes_is_logged_out(alice_user: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        http = logged_in(alice_user)
        clock.move_to(start + timedelta(minutes=29))
        assert is_logged_in(http)
        clock.move_to(start + timedelta(minutes=58))  # 29 minutes after the last request
        assert is_logged_in(http)
        clock.move_to(start + timedelta(minutes=89))
        assert not is_logged_in(http)
        assert http.get("/profile/")["Location"].startswith("/login/")


def test_a_session_in_use_ends_12_hours_after_login(alice_user: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        http = logged_in(alice_user)
        for minutes in range(20, 12 * 60, 20):
            clock.move_to(start + timedelta(minutes=minutes))
            assert is_logged_in(http), minutes
        clock.move_to(start + timedelta(hours=12, minutes=5))
        assert not is_logged_in(http)


def test_a_login_writes_one_session_row_that_names_its_user_and_decodes(alice_user: Any) -> None:
    """The session engine (accounts.session_store) and its model name each other: the row a login
    writes carries the user as a column, and the model decodes its data with the same store."""
    http = logged_in(alice_user)
    row = UserSession.objects.get(session_key=http.session.session_key)
    assert row.user_id == alice_user.pk
    assert row.get_decoded()[SESSION_KEY] == str(alice_user.pk)
    assert UserSession.get_session_store_class() is SessionStore


def test_the_store_loads_what_djangos_database_store_loads(alice_user: Any) -> None:
    """The store reads a session's data with one statement of its own: a live session gives the
    same data as Django's database store, an expired or unknown one gives nothing and forgets its
    key (a new one is made if the session is written), as Django's does."""
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore

    def reference(key: str | None) -> Any:
        store = SessionStore(key)
        store.load = lambda: DjangoStore.load(store)  # type: ignore[method-assign]  # Django's own
        return store

    http = logged_in(alice_user)
    key = http.session.session_key
    assert SessionStore(key).load() == reference(key).load() != {}
    assert SessionStore(key).load()[SESSION_KEY] == str(alice_user.pk)
    UserSession.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    for store in (SessionStore(key), reference(key)):
        assert store.load() == {}
        assert store.session_key is None
    assert not is_logged_in(http)
    for store in (SessionStore("x" * 32), reference("x" * 32)):
        assert store.load() == {} and store.session_key is None


def test_log_out_other_sessions_keeps_this_one(alice_user: Any, bob_user: Any) -> None:
    here, phone, bobs = logged_in(alice_user), logged_in(alice_user), logged_in(bob_user)
    response = here.post("/profile/sessions/logout/")
    assert response.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(phone)
    assert is_logged_in(bobs)  # another user's sessions are not touched
    # And once more: the epoch keeps counting.
    laptop = logged_in(alice_user)
    here.post("/profile/sessions/logout/")
    assert is_logged_in(here) and not is_logged_in(laptop)


def test_log_out_other_sessions_is_a_post(alice_user: Any) -> None:
    here, phone = logged_in(alice_user), logged_in(alice_user)
    assert here.get("/profile/sessions/logout/").status_code == 405
    assert is_logged_in(phone)


def test_the_profile_offers_log_out_other_sessions(alice_user: Any) -> None:
    assert "Log out other sessions" in logged_in(alice_user).get("/profile/").content.decode()


def test_a_password_change_logs_out_the_other_sessions(alice_user: Any) -> None:
    here, phone = logged_in(alice_user), logged_in(alice_user)
    new = "Brand-new-pass-9"
    here.post("/profile/password/", {"old_password": f.PASSWORD, "new_password1": new, "new_password2": new})
    assert is_logged_in(here)
    assert not is_logged_in(phone)


def test_session_cookie_is_secure_httponly_and_samesite(settings: Any, alice_user: Any) -> None:
    settings.SESSION_COOKIE_SECURE = True
    response = HttpClient().post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def _settings_with(env: dict[str, str]) -> dict[str, Any]:
    """The security settings as a fresh process reads them from ``env``."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps("
        "[s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT,"
        " s.OPENBILL_STAFF_2FA]))"
    )
    base = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "OPENBILL_INSECURE_COOKIES", "OPENBILL_STAFF_2FA"}
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "openbill.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    secure, csrf_secure, hsts, redirect, staff_2fa = json.loads(out.strip().splitlines()[-1])
    return {"secure": secure, "csrf_secure": csrf_secure, "hsts": hsts, "redirect": redirect, "2fa": staff_2fa}


def test_cookies_are_secure_unless_debug_or_explicitly_insecure() -> None:
    assert _settings_with({}) == {"secure": True, "csrf_secure": True, "hsts": 0, "redirect": False, "2fa": True}
    assert _settings_with({"DEBUG": "1"})["secure"] is False
    assert _settings_with({"OPENBILL_INSECURE_COOKIES": "1"})["csrf_secure"] is False
    tls = _settings_with({"SECURE_HSTS_SECONDS": "31536000", "SECURE_SSL_REDIRECT": "1", "OPENBILL_STAFF_2FA": "0"})
    assert tls == {"secure": True, "csrf_secure": True, "hsts": 31536000, "redirect": True, "2fa": False}
