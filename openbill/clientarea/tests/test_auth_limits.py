"""Every authentication surface is limited per address and per account (ASVS 6.3.1)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openbill.core.tests import factories as f
from openbill.metering.tests.factories import provider_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings: Any) -> Any:
    """Lower one or more limits for a test: rates(link_failure="3/hour")."""

    def lower(**scopes: str) -> None:
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**current, **scopes}}

    return lower


@pytest.fixture(autouse=True)
def _mail_tasks_run_at_once(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def from_address(address: str) -> HttpClient:
    return HttpClient(REMOTE_ADDR=address)


def uid(user: Any) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def reset_link(http: HttpClient, user: Any, capture: Any) -> str:
    with capture(execute=True):
        http.post("/password-reset/", {"email": user.email})
    match = re.search(r"https?://testserver(/[^\s]+)", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_guessing_password_reset_links_from_one_address_is_stopped_even_for_a_good_link(
    rates: Any, alice_user: Any, bob_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rates(link_failure="3/hour")
    good = reset_link(HttpClient(), bob_user, django_capture_on_commit_callbacks)
    http = from_address("10.0.0.1")
    guesses = [http.get(f"/password-reset/{uid(alice_user)}/guess-{n}/").status_code for n in range(3)]
    assert guesses == [200, 200, 200]  # Django's "invalid link" page
    assert http.get(f"/password-reset/{uid(alice_user)}/guess-4/").status_code == 429
    assert http.get(good).status_code == 429
    # Another address is not held back by this one's guesses.
    assert from_address("10.0.0.2").get(good).status_code == 302


def test_guessing_one_accounts_reset_link_from_many_addresses_is_stopped(
    rates: Any, alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rates(link_account_failure="3/hour")
    for n in range(3):
        assert from_address(f"10.0.1.{n}").get(f"/password-reset/{uid(alice_user)}/guess/").status_code == 200
    assert from_address("10.0.1.9").get(f"/password-reset/{uid(alice_user)}/guess/").status_code == 429


def test_a_good_reset_link_does_not_count_as_a_failure(
    rates: Any, alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rates(link_failure="1/hour", password_reset_account="10/hour")
    http = HttpClient()
    for _ in range(3):
        link = reset_link(http, alice_user, django_capture_on_commit_callbacks)
        assert http.get(link).status_code == 302


def test_guessing_email_confirmation_links_is_stopped(rates: Any, alice_user: Any) -> None:
    rates(link_failure="3/hour")
    http = from_address("10.0.2.1")
    statuses = [http.post(f"/signup/confirm/{uid(alice_user)}/guess-{n}/").status_code for n in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert http.get(f"/signup/confirm/{uid(alice_user)}/guess/").status_code == 429


def test_signups_from_one_address_are_limited(rates: Any, provider: Any) -> None:
    rates(signup="2/hour")
    http = from_address("10.0.3.1")

    def sign_up(n: int) -> int:
        data = {
            "name": "Carol",
            "email": f"carol{n}@test.test",
            "password1": "a-Long-passw0rd",
            "password2": "a-Long-passw0rd",
        }
        return http.post("/signup/", data).status_code

    assert [sign_up(n) for n in range(3)] == [302, 302, 429]
    assert from_address("10.0.3.2").get("/signup/").status_code == 200


def test_password_reset_requests_are_limited_per_email_and_per_address(
    rates: Any, alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rates(password_reset_account="2/hour", password_reset="3/hour")
    per_email = [
        from_address(f"10.0.4.{n}").post("/password-reset/", {"email": alice_user.email}).status_code for n in range(3)
    ]
    assert per_email == [302, 302, 429]
    http = from_address("10.0.5.1")
    per_address = [http.post("/password-reset/", {"email": f"x{n}@test.test"}).status_code for n in range(4)]
    assert per_address == [302, 302, 302, 429]


def test_a_forged_forwarded_for_header_does_not_reset_the_count(rates: Any, alice_user: Any) -> None:
    rates(link_failure="2/hour")
    http = from_address("10.0.6.1")
    for n in range(3):
        status = http.get(f"/password-reset/{uid(alice_user)}/g/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
    assert status == 429


def test_wrong_passwords_for_one_account_from_many_addresses_are_stopped(rates: Any, alice_user: Any) -> None:
    rates(login_account_failure="3/hour")
    for n in range(3):
        wrong = from_address(f"10.0.7.{n}").post("/login/", {"username": alice_user.email, "password": "wrong"})
        assert wrong.status_code == 200
    right = from_address("10.0.7.9").post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
    assert right.status_code == 429
    # Other accounts log in as usual.
    bob = f.client(alice_user.memberships.get().client.provider, "bob2@test.test").memberships.get().user
    assert from_address("10.0.7.9").post("/login/", {"username": bob.email, "password": f.PASSWORD}).status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(settings: Any, provider: Any) -> None:
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    users = [f.client(provider, f"user{n}@test.test").memberships.get().user for n in range(4)]
    http = from_address("10.0.8.1")
    statuses = [http.post("/login/", {"username": u.email, "password": "wrong"}).status_code for u in users[:3]]
    assert statuses == [200, 200, 429]
    assert http.post("/login/", {"username": users[3].email, "password": f.PASSWORD}).status_code == 429
    assert (
        from_address("10.0.8.2").post("/login/", {"username": users[3].email, "password": f.PASSWORD}).status_code
        == 302
    )


def test_guessing_provider_tokens_is_throttled_even_for_a_later_valid_token(settings: Any, provider: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token_auth_failure": "3/min"},
    }
    good = provider_token(provider)
    http = from_address("10.0.9.1")

    def post(raw: str) -> int:
        return http.post(
            "/api/v1/usage/", {"records": []}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
        ).status_code

    assert [post(f"obp_guess{n}") for n in range(3)] == [401, 401, 401]
    assert post(good) == 429
    assert (
        from_address("10.0.9.2")
        .post("/api/v1/usage/", {"records": []}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {good}")
        .status_code
        != 429
    )
