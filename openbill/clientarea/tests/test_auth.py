"""Logging in and out, throttling, sign-up with confirmation, password reset, language, CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from openbill.accounts.models import Membership, User
from openbill.clients.models import Client
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


@pytest.fixture(autouse=True)
def _mail_tasks_run_at_once(settings: Any) -> None:
    """Account mail is sent by a task after commit; here the task runs as soon as it is queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def login(http: HttpClient, email: str, password: str) -> Any:
    return http.post(LOGIN, {"username": email, "password": password})


def link_in(message: Any) -> str:
    match = re.search(r"https?://[^\s]+", message.body)
    assert match, message.body
    return match.group(0).replace("http://testserver", "")


def test_client_logs_in_with_email_and_lands_on_dashboard(alice_user: Any) -> None:
    http = HttpClient()
    response = login(http, alice_user.email, f.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("clientarea:dashboard")
    assert http.get("/").status_code == 200


def test_login_rotates_the_session_key(alice_user: Any) -> None:
    http = HttpClient()
    http.get(LOGIN)
    http.session.save()
    before = http.session.session_key
    http.cookies[settings.SESSION_COOKIE_NAME] = before
    login(http, alice_user.email, f.PASSWORD)
    assert http.session.session_key != before


def test_wrong_password_and_unknown_email_get_the_same_answer(alice_user: Any) -> None:
    wrong = login(HttpClient(), alice_user.email, "not-the-password")
    unknown = login(HttpClient(), "nobody@test.test", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    message = "Please enter a correct email and password."
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()


def test_repeated_failed_logins_are_throttled_with_429(settings: Any, alice_user: Any) -> None:
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    http = HttpClient()
    statuses = [login(http, alice_user.email, "wrong").status_code for _ in range(3)]
    assert statuses[:2] == [200, 200]
    assert statuses[2] == 429
    # Locked out: even the right password is refused for now.
    locked = login(http, alice_user.email, f.PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()


def test_anonymous_visitor_is_sent_to_login() -> None:
    response = HttpClient().get("/services/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_staff_without_a_client_account_goes_to_admin(staff: Any) -> None:
    http = HttpClient()
    response = login(http, staff.email, f.PASSWORD)
    assert response["Location"] == reverse("admin:index")
    assert http.get("/").headers["Location"] == reverse("admin:index")


def test_logout_is_a_post(alice_http: HttpClient) -> None:
    assert alice_http.get("/logout/").status_code == 405
    response = alice_http.post("/logout/")
    assert response.status_code == 302
    assert alice_http.get("/").status_code == 302  # logged out: back to the login page


def test_forms_refuse_a_post_without_csrf_token(alice_user: Any) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    assert login(http, alice_user.email, f.PASSWORD).status_code == 403
    http.force_login(alice_user)
    assert http.post(reverse("clientarea:token_create"), {"name": "x"}).status_code == 403


# --- sign-up ---------------------------------------------------------------------------------


@pytest.fixture
def signup(django_capture_on_commit_callbacks: Any) -> Any:
    """POST the sign-up form; mail goes out after commit, so run those callbacks as a request would."""

    def post(http: HttpClient, email: str = "carol@test.test", password: str = "a-Long-passw0rd") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return http.post(
                "/signup/", {"name": "Carol", "email": email, "password1": password, "password2": password}
            )

    return post


def test_signup_creates_an_inactive_owner_and_mails_a_confirmation_link(provider: Any, signup: Any) -> None:
    response = signup(HttpClient())
    assert response.status_code == 302
    assert response["Location"] == reverse("clientarea:signup_done")
    user = User.objects.get(email="carol@test.test")
    assert not user.is_active and not user.email_confirmed
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.client.provider == provider
    assert membership.client.name == "Carol"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carol@test.test"]
    assert "/signup/confirm/" in mail.outbox[0].body


def test_no_login_before_the_email_is_confirmed_then_login_works(provider: Any, signup: Any) -> None:
    http = HttpClient()
    signup(http)
    refused = login(http, "carol@test.test", "a-Long-passw0rd")
    assert refused.status_code == 200
    assert "Your email address is not confirmed yet" in refused.content.decode()

    link = link_in(mail.outbox[0])
    assert http.get(link).status_code == 200  # a page with a button: opening the link changes nothing
    assert not User.objects.get(email="carol@test.test").is_active
    confirm = http.post(link)
    assert confirm.status_code == 302
    user = User.objects.get(email="carol@test.test")
    assert user.is_active and user.email_confirmed
    assert login(http, "carol@test.test", "a-Long-passw0rd")["Location"] == reverse("clientarea:dashboard")


def test_an_unconfirmed_account_is_told_so_only_with_its_right_password(provider: Any, signup: Any) -> None:
    signup(HttpClient())
    wrong = login(HttpClient(), "carol@test.test", "not-the-password").content.decode()
    assert "Please enter a correct email and password." in wrong
    assert "not confirmed" not in wrong and "resend-confirmation" not in wrong

    right = login(HttpClient(), "carol@test.test", "a-Long-passw0rd").content.decode()
    assert "Your email address is not confirmed yet" in right
    assert 'data-testid="resend-confirmation"' in right


@pytest.fixture
def resend(django_capture_on_commit_callbacks: Any) -> Any:
    def post(http: HttpClient) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return http.post(reverse("clientarea:signup_resend"))

    return post


def test_a_new_confirmation_link_is_sent_on_request_and_works(provider: Any, signup: Any, resend: Any) -> None:
    http = HttpClient()
    signup(http)
    login(http, "carol@test.test", "a-Long-passw0rd")
    response = resend(http)
    assert response.status_code == 302
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["carol@test.test"]
    assert "We sent a new confirmation link to carol@test.test." in http.get(response["Location"]).content.decode()
    assert http.post(link_in(mail.outbox[1])).status_code == 302
    assert User.objects.get(email="carol@test.test").is_active


def test_new_confirmation_links_need_the_password_and_are_rate_limited(provider: Any, signup: Any, resend: Any) -> None:
    signup(HttpClient())
    # Without having typed the right password, nothing is sent (and nothing said about the email).
    stranger = HttpClient()
    login(stranger, "carol@test.test", "not-the-password")
    assert resend(stranger).status_code == 302
    assert len(mail.outbox) == 1

    http = HttpClient()
    login(http, "carol@test.test", "a-Long-passw0rd")
    statuses = [resend(http).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 4


def test_confirmation_link_works_once(provider: Any, signup: Any) -> None:
    http = HttpClient()
    signup(http)
    link = link_in(mail.outbox[0])
    assert http.post(link).status_code == 302
    assert http.post(link).status_code == 400
    assert http.get(link).status_code == 400


def test_tampered_confirmation_link_is_refused(provider: Any, signup: Any) -> None:
    http = HttpClient()
    signup(http)
    link = link_in(mail.outbox[0])
    assert http.post(link[:-3] + "xyz/").status_code == 400
    assert http.post("/signup/confirm/bm90LWEtbnVtYmVy/abc-def/").status_code == 400
    assert not User.objects.get(email="carol@test.test").is_active


def test_signup_with_a_registered_email_reveals_nothing_and_creates_nothing(alice_user: Any, signup: Any) -> None:
    clients_before = Client.objects.count()
    response = signup(HttpClient(), email=alice_user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("clientarea:signup_done")
    assert Client.objects.count() == clients_before
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice_user.email]
    assert "already has an account" in mail.outbox[0].body


def test_signup_form_errors_name_the_field(provider: Any, signup: Any) -> None:
    response = signup(HttpClient(), password="123")
    assert response.status_code == 400
    assert 'id="id_password1-error"' in response.content.decode()
    assert not User.objects.filter(email="carol@test.test").exists()


def test_signup_is_closed_when_the_provider_turns_it_off(provider: Any, signup: Any) -> None:
    provider.signup_enabled = False
    provider.save()
    http = HttpClient()
    assert http.get("/signup/").status_code == 404
    assert signup(http).status_code == 404
    assert "Sign up" not in http.get(LOGIN).content.decode()


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_mails_a_link_that_sets_a_new_password(
    alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    http = HttpClient()
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post("/password-reset/", {"email": alice_user.email})
    assert response["Location"] == reverse("clientarea:password_reset_done")
    assert len(mail.outbox) == 1
    form_url = http.get(link_in(mail.outbox[0]))["Location"]  # Django moves the token to the session
    done = http.post(form_url, {"new_password1": "Brand-new-pass-9", "new_password2": "Brand-new-pass-9"})
    assert done["Location"] == reverse("clientarea:password_reset_complete")
    assert login(HttpClient(), alice_user.email, "Brand-new-pass-9").status_code == 302


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = HttpClient().post("/password-reset/", {"email": "nobody@test.test"})
    assert response["Location"] == reverse("clientarea:password_reset_done")
    assert mail.outbox == []


# --- language ---------------------------------------------------------------------------------


def test_language_switch_sets_the_cookie_and_saves_it_on_the_user(alice_http: HttpClient, alice_user: Any) -> None:
    response = alice_http.post("/language/", {"language": "es", "next": "/services/"})
    assert response.status_code == 302
    assert response["Location"] == "/services/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    alice_user.refresh_from_db()
    assert alice_user.language == "es"
    assert '<html lang="es">' in alice_http.get("/").content.decode()


def test_saved_language_follows_the_user_to_a_new_browser(alice_user: Any) -> None:
    alice_user.language = "es"
    alice_user.save()
    http = HttpClient()
    response = login(http, alice_user.email, f.PASSWORD)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert '<html lang="es">' in http.get("/").content.decode()


def test_unknown_language_changes_nothing(alice_http: HttpClient, alice_user: Any) -> None:
    alice_http.post("/language/", {"language": "xx", "next": "/"})
    alice_user.refresh_from_db()
    assert alice_user.language == "en"


def test_password_change_needs_the_current_password(alice_http: HttpClient, alice_user: Any) -> None:
    wrong = alice_http.post(
        "/profile/password/",
        {"old_password": "nope", "new_password1": "Brand-new-pass-9", "new_password2": "Brand-new-pass-9"},
    )
    assert wrong.status_code == 200
    assert 'id="id_old_password-error"' in wrong.content.decode()
    done = alice_http.post(
        "/profile/password/",
        {"old_password": f.PASSWORD, "new_password1": "Brand-new-pass-9", "new_password2": "Brand-new-pass-9"},
    )
    assert done["Location"] == reverse("clientarea:profile")
    assert alice_http.get("/").status_code == 200  # still logged in here
    assert login(HttpClient(), alice_user.email, "Brand-new-pass-9").status_code == 302


def test_signup_joins_the_first_provider_unless_one_is_named(settings: Any, provider: Any, signup: Any) -> None:
    other = f.provider("Other Hosting")
    signup(HttpClient())
    assert Membership.objects.get(user__email="carol@test.test").client.provider == provider
    settings.OPENBILL_SIGNUP_PROVIDER = "Other Hosting"
    signup(HttpClient(), email="dave@test.test")
    assert Membership.objects.get(user__email="dave@test.test").client.provider == other
