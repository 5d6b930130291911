"""Account security in the Profile: two-factor authentication for clients, confirming it is you
before security changes, the list of sessions with "log out this one", the new-address notice."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from babel.dates import format_date
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from openbill.accounts import sessions
from openbill.accounts.models import ApiToken, RecoveryCode, RecoveryCodes
from openbill.core.models import Notice
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += steps_ahead * device.step
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if code_for(device) != "000000" else "111111"


def browser(address: str = "127.0.0.1", agent: str = FIREFOX) -> HttpClient:
    return HttpClient(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)


def log_in(user: Any, http: HttpClient | None = None, *, device: TOTPDevice | None = None) -> HttpClient:
    """Log in through the login page (with the code when ``device`` is given)."""
    http = http or browser()
    response = http.post("/login/", {"username": user.email, "password": f.PASSWORD})
    assert response.status_code == 302, response.content
    if device is not None:
        assert response["Location"] == "/login/code/"
        assert http.post("/login/code/", {"code": code_for(device)}).status_code == 302
    return http


def is_logged_in(http: HttpClient) -> bool:
    return http.get("/profile/").status_code == 200


def enrol(http: HttpClient, user: Any) -> tuple[TOTPDevice, list[str]]:
    """Turn 2FA on from the Profile (the session logged in moments ago, so no password asked)."""
    assert http.get("/profile/2fa/enable/").status_code == 200
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    page = http.post("/profile/2fa/enable/", {"code": code_for(pending)})
    assert page.status_code == 200, page.content
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", page.content.decode())
    return TOTPDevice.objects.get(user=user, confirmed=True), codes


@pytest.fixture
def alice_2fa(alice_user: Any) -> TOTPDevice:
    device, _codes = enrol(log_in(alice_user), alice_user)
    return device


# --- turning it on ------------------------------------------------------------------------------
def test_enrolment_shows_a_secret_and_its_qr_code_and_a_wrong_code_changes_nothing(alice_user: Any) -> None:
    http = log_in(alice_user)
    page = http.get("/profile/2fa/enable/").content.decode()
    assert re.search(r'data-testid="totp-secret">[A-Z2-7=]+<', page)
    assert "<svg" in page  # the QR code of the otpauth URI
    pending = TOTPDevice.objects.get(user=alice_user, confirmed=False)

    response = http.post("/profile/2fa/enable/", {"code": wrong_code(pending)})

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice_user, confirmed=True).exists()
    assert not RecoveryCodes.objects.filter(user=alice_user).exists()
    assert "Turn on two-factor authentication" in http.get("/profile/").content.decode()
    # Logging in still asks for the password only.
    assert browser().post("/login/", {"username": alice_user.email, "password": f.PASSWORD})["Location"] == "/"


def test_a_recovery_code_does_not_confirm_enrolment(alice_user: Any, bob_user: Any) -> None:
    http = log_in(alice_user)
    http.get("/profile/2fa/enable/")
    assert http.post("/profile/2fa/enable/", {"code": "abcde-12345"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=alice_user, confirmed=True).exists()


def test_enrolment_turns_it_on_shows_ten_codes_and_logs_out_the_other_sessions(alice_user: Any, bob_user: Any) -> None:
    phone, bobs = log_in(alice_user), log_in(bob_user)
    http = log_in(alice_user)

    device, codes = enrol(http, alice_user)

    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not set(codes) & set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert is_logged_in(http)
    assert not is_logged_in(phone)  # it never entered a code
    assert is_logged_in(bobs)
    assert "10 recovery codes left." in http.get("/profile/").content.decode()


# --- logging in with it -------------------------------------------------------------------------
def test_login_with_two_factor_asks_the_code_before_the_session_is_logged_in(
    alice_user: Any, alice_2fa: TOTPDevice
) -> None:
    start = timezone.now() + timedelta(minutes=1)
    with time_machine.travel(start, tick=False) as clock:
        http = browser()
        response = http.post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
        assert response["Location"] == "/login/code/"
        assert not is_logged_in(http)
        assert http.get("/api/v1/me/").status_code == 401

        wrong = http.post("/login/code/", {"code": wrong_code(alice_2fa)})
        assert wrong.status_code == 400
        assert not is_logged_in(http)

        clock.move_to(start + timedelta(seconds=5))  # django-otp makes a device wait after a wrong code
        right = http.post("/login/code/", {"code": code_for(alice_2fa)})
        assert right["Location"] == "/"
        assert is_logged_in(http)
        assert http.get("/api/v1/me/").json()["user"]["email"] == alice_user.email


def test_the_code_page_without_a_password_first_sends_to_the_login(alice_user: Any, alice_2fa: TOTPDevice) -> None:
    http = browser()
    assert http.post("/login/code/", {"code": code_for(alice_2fa)})["Location"] == "/login/"
    assert not is_logged_in(http)


def test_the_code_step_expires_after_five_minutes(alice_user: Any, alice_2fa: TOTPDevice) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        http = browser()
        http.post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
        clock.move_to(start + timedelta(minutes=6))
        response = http.post("/login/code/", {"code": code_for(alice_2fa)})
        assert response["Location"] == "/login/"
        assert not is_logged_in(http)


def test_a_recovery_code_logs_in_once(alice_user: Any) -> None:
    _device, codes = enrol(log_in(alice_user), alice_user)

    first = browser()
    first.post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
    assert first.post("/login/code/", {"code": codes[0]})["Location"] == "/"
    assert is_logged_in(first)

    again = browser()
    again.post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
    assert again.post("/login/code/", {"code": codes[0]}).status_code == 400
    assert not is_logged_in(again)
    assert again.post("/login/code/", {"code": codes[1].upper()})["Location"] == "/"
    assert "8 recovery codes left." in again.get("/profile/").content.decode()


def test_wrong_codes_at_login_are_limited_per_account(settings: Any, alice_user: Any, alice_2fa: TOTPDevice) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "otp_failure": "3/hour"},
    }
    statuses = []
    for number in range(4):  # from four addresses: the limit is the account's
        http = browser(f"10.0.0.{number + 1}")
        http.post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
        statuses.append(http.post("/login/code/", {"code": wrong_code(alice_2fa)}).status_code)
    assert statuses == [400, 400, 400, 429]
    assert http.post("/login/code/", {"code": code_for(alice_2fa)}).status_code == 429
    assert not is_logged_in(http)


def test_a_session_of_a_user_with_two_factor_that_skipped_the_code_is_logged_out(
    alice_user: Any, alice_2fa: TOTPDevice
) -> None:
    http = HttpClient()
    http.force_login(alice_user)  # a session not made by the login page
    assert http.get("/")["Location"].startswith("/login/")
    assert not is_logged_in(http)


# --- turning it off -----------------------------------------------------------------------------
def test_turning_it_off_removes_the_app_and_the_codes(alice_user: Any) -> None:
    http = log_in(alice_user)
    enrol(http, alice_user)
    response = http.post("/profile/2fa/disable/")
    assert response["Location"] == "/profile/"
    assert not TOTPDevice.objects.filter(user=alice_user).exists()
    assert not RecoveryCodes.objects.filter(user=alice_user).exists()
    assert browser().post("/login/", {"username": alice_user.email, "password": f.PASSWORD})["Location"] == "/"


# --- the provider's requirement -------------------------------------------------------------------
def test_a_provider_that_requires_it_sends_its_clients_to_enrolment_after_the_password(
    provider: Any, alice_user: Any
) -> None:
    provider.require_client_2fa = True
    provider.save()
    http = log_in(alice_user)

    for url in ("/", "/services/", "/profile/", "/finances/"):
        response = http.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/profile/2fa/enable/?next="), url
    refused = http.get("/api/v1/me/")
    assert refused.status_code == 403 and refused.json()["code"] == "two_factor_required"
    assert http.post("/profile/tokens/", {"name": "x"})["Location"].startswith("/profile/2fa/enable/")
    assert not ApiToken.objects.exists()

    page = http.get("/profile/2fa/enable/?next=/services/")
    assert "Your provider asks every client" in page.content.decode()
    device, _codes = enrol(http, alice_user)
    assert http.get("/services/").status_code == 200
    # And it cannot be turned off.
    http.post("/profile/2fa/disable/")
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_provider_requirement_leaves_other_providers_clients_alone(alice_user: Any) -> None:
    other = f.provider("Other host")
    other.require_client_2fa = True
    other.save()
    assert log_in(alice_user).get("/").status_code == 200


# --- confirming it is you -----------------------------------------------------------------------
@pytest.fixture
def alice_earlier(alice_user: Any) -> HttpClient:
    """A session that logged in (and so last entered the password) an hour ago."""
    http = log_in(alice_user)
    session = http.session
    session[sessions.REAUTH_AT] = time.time() - 3600
    session.save()
    return http


def test_security_changes_ask_for_the_password_again(alice_user: Any, alice_earlier: HttpClient) -> None:
    for url in ("/profile/2fa/enable/", "/profile/password/"):
        response = alice_earlier.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/profile/confirm/?next=")
    response = alice_earlier.post("/profile/tokens/", {"name": "deploy"})
    assert response["Location"].startswith("/profile/confirm/")
    assert not ApiToken.objects.exists()
    assert not TOTPDevice.objects.exists()


def test_a_wrong_password_does_not_confirm(alice_user: Any, alice_earlier: HttpClient) -> None:
    response = alice_earlier.post("/profile/confirm/", {"password": "not it", "next": "/profile/"})
    assert response.status_code == 400
    assert alice_earlier.post("/profile/tokens/", {"name": "deploy"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_the_confirmation_lasts_ten_minutes(alice_user: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        http = log_in(alice_user)
        clock.move_to(start + timedelta(minutes=20))
        assert http.get("/profile/password/")["Location"].startswith("/profile/confirm/")
        start += timedelta(minutes=20)
        response = http.post("/profile/confirm/", {"password": f.PASSWORD, "next": "/profile/password/"})
        assert response["Location"] == "/profile/password/"
        clock.move_to(start + timedelta(minutes=9))
        assert http.get("/profile/password/").status_code == 200
        assert http.post("/profile/tokens/", {"name": "deploy"}).status_code == 200
        clock.move_to(start + timedelta(minutes=10, seconds=30))
        assert http.get("/profile/password/")["Location"].startswith("/profile/confirm/")
        assert http.post("/profile/tokens/", {"name": "backup"})["Location"].startswith("/profile/confirm/")
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["deploy"]


def test_a_login_counts_as_confirmed_for_ten_minutes(alice_user: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        http = log_in(alice_user)
        assert http.get("/profile/password/").status_code == 200
        clock.move_to(start + timedelta(minutes=11))
        assert http.get("/profile/password/")["Location"].startswith("/profile/confirm/")


def test_with_two_factor_the_confirmation_needs_the_code_too(alice_user: Any, alice_2fa: TOTPDevice) -> None:
    start = timezone.now() + timedelta(minutes=1)
    with time_machine.travel(start, tick=False) as clock:
        http = log_in(alice_user, device=alice_2fa)
        clock.move_to(start + timedelta(minutes=15))
        assert http.post("/profile/2fa/disable/")["Location"].startswith("/profile/confirm/")
        assert http.post("/profile/confirm/", {"password": f.PASSWORD}).status_code == 400
        assert (
            http.post("/profile/confirm/", {"password": f.PASSWORD, "code": wrong_code(alice_2fa)}).status_code == 400
        )
        assert TOTPDevice.objects.filter(pk=alice_2fa.pk).exists()
        clock.move_to(start + timedelta(minutes=15, seconds=5))  # django-otp's wait after a wrong code
        code = code_for(alice_2fa)
        assert http.post("/profile/confirm/", {"password": f.PASSWORD, "code": code})["Location"] == "/profile/"
        assert http.post("/profile/2fa/disable/")["Location"] == "/profile/"
    assert not TOTPDevice.objects.filter(user=alice_user).exists()


def test_wrong_passwords_at_the_confirmation_are_limited(
    settings: Any, alice_user: Any, alice_earlier: HttpClient
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_account_failure": "2/hour",
        },
    }
    statuses = [alice_earlier.post("/profile/confirm/", {"password": "guess"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert alice_earlier.post("/profile/confirm/", {"password": f.PASSWORD}).status_code == 429


def test_creating_an_api_token_with_a_session_needs_the_confirmation(
    alice_user: Any, alice_earlier: HttpClient
) -> None:
    response = alice_earlier.post("/api/v1/tokens/", {"name": "ci"}, content_type="application/json")
    assert response.status_code == 403
    assert "Confirm your password" in response.json()["detail"]
    assert response.json()["code"] == "reauthentication_required"
    alice_earlier.post("/profile/confirm/", {"password": f.PASSWORD})
    response = alice_earlier.post("/api/v1/tokens/", {"name": "ci"}, content_type="application/json")
    assert response.status_code == 201


# --- sessions -----------------------------------------------------------------------------------
def test_the_profile_lists_the_users_sessions_with_browser_address_and_last_seen(
    alice_user: Any, bob_user: Any
) -> None:
    log_in(alice_user, browser("203.0.113.7", PHONE))
    log_in(bob_user, browser("198.51.100.9"))
    here = log_in(alice_user, browser("192.0.2.10"))

    page = here.get("/profile/").content.decode()
    table = page[page.index('data-testid="sessions"') :]
    table = table[: table.index("</table>")]
    assert "Chrome on Android" in table and "203.0.113.7" in table
    assert "Firefox on Linux" in table and "192.0.2.10" in table
    assert "198.51.100.9" not in table  # bob's
    assert table.count("<tr data-session-id=") == 2
    assert table.count("This session") == 1
    assert format_date(timezone.now(), "medium", locale="en") in table  # "Dec 6, 2026, 4:15 PM" (core.formats)


def _session_ids(http: HttpClient) -> list[str]:
    return re.findall(r'data-session-id="([0-9a-f]+)"', http.get("/profile/").content.decode())


def test_log_out_this_one_ends_exactly_that_session(alice_user: Any, bob_user: Any) -> None:
    phone = log_in(alice_user, browser("203.0.113.7", PHONE))
    laptop = log_in(alice_user, browser("203.0.113.8"))
    bobs = log_in(bob_user)
    here = log_in(alice_user, browser("192.0.2.10"))
    page = here.get("/profile/").content.decode()
    phone_row = re.search(r'data-session-id="([0-9a-f]+)">\s*<td>Chrome on Android', page)
    assert phone_row

    response = here.post(f"/profile/sessions/{phone_row.group(1)}/logout/")

    assert response["Location"] == "/profile/"
    assert not is_logged_in(phone)
    assert is_logged_in(laptop) and is_logged_in(here) and is_logged_in(bobs)
    assert len(_session_ids(here)) == 2


def test_a_client_cannot_end_another_users_session_by_id(alice_user: Any, bob_user: Any) -> None:
    bobs = log_in(bob_user)
    (bobs_id,) = _session_ids(bobs)
    alices = log_in(alice_user)

    assert alices.post(f"/profile/sessions/{bobs_id}/logout/").status_code == 404
    assert alices.post("/profile/sessions/0123456789abcdef01234567/logout/").status_code == 404
    assert is_logged_in(bobs)


def test_log_out_this_one_on_the_current_session_logs_it_out(alice_user: Any) -> None:
    here = log_in(alice_user)
    (own,) = _session_ids(here)
    assert here.post(f"/profile/sessions/{own}/logout/")["Location"] == "/login/"
    assert not is_logged_in(here)


def test_log_out_this_one_is_a_post(alice_user: Any) -> None:
    phone, here = log_in(alice_user, browser(agent=PHONE)), log_in(alice_user)
    ids = _session_ids(here)
    assert len(ids) == 2
    assert all(here.get(f"/profile/sessions/{sid}/logout/").status_code == 405 for sid in ids)
    assert is_logged_in(phone)


def test_sessions_logged_out_elsewhere_leave_the_list(alice_user: Any) -> None:
    log_in(alice_user, browser(agent=PHONE))
    here = log_in(alice_user)
    assert len(_session_ids(here)) == 2
    here.post("/profile/sessions/logout/")
    assert len(_session_ids(here)) == 1


# --- a login from a new address -----------------------------------------------------------------
def login_notices() -> list[Notice]:
    return list(Notice.objects.filter(template="login_new_address").order_by("id"))


def test_a_login_from_a_new_address_is_notified_once_per_address(
    alice: Any, alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        log_in(alice_user, browser("192.0.2.1"))  # the first login ever: nothing to compare with
        log_in(alice_user, browser("192.0.2.1"))
    assert login_notices() == [] and mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        log_in(alice_user, browser("198.51.100.23", PHONE))
        log_in(alice_user, browser("198.51.100.23", PHONE))
        log_in(alice_user, browser("192.0.2.1"))

    assert len(login_notices()) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert "198.51.100.23" in message.subject
    assert alice_user.email in message.body and "Chrome on Android" in message.body

    with django_capture_on_commit_callbacks(execute=True):
        log_in(alice_user, browser("2001:db8::1"))
    assert len(login_notices()) == 2 and len(mail.outbox) == 2


def test_the_new_address_notice_can_be_turned_off(alice_user: Any) -> None:
    http = log_in(alice_user, browser("192.0.2.1"))
    assert 'id="login-notices" checked' in http.get("/profile/").content.decode()
    http.post("/profile/login-notices/", {})
    alice_user.refresh_from_db()
    assert not alice_user.login_notices
    log_in(alice_user, browser("198.51.100.23"))
    assert login_notices() == []
    http.post("/profile/login-notices/", {"login_notices": "on"})
    log_in(alice_user, browser("198.51.100.24"))
    assert len(login_notices()) == 1


def test_the_notice_is_in_the_clients_language(alice: Any, alice_user: Any) -> None:
    alice_user.language = "es"  # the owner's language is the account's
    alice_user.save(update_fields=["language"])
    log_in(alice_user, browser("192.0.2.1"))
    log_in(alice_user, browser("192.0.2.2"))
    (notice,) = login_notices()
    from openbill.core.notify import render

    subject, body = render(notice)
    assert "192.0.2.2" in subject
    assert "Nuevo" in subject or "nuevo" in subject
