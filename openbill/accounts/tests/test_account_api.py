"""/api/v1/account/: what the Profile page does, through the API — the saved language, the
password (with the current one), logging out other sessions, the account's users."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from openbill.accounts.models import Membership, User
from openbill.api.tests.conftest import token_client
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-pass-9"


@pytest.fixture
def alice_api(alice_user: Any) -> APIClient:
    return token_client(alice_user)


@pytest.fixture
def bob_api(bob_user: Any) -> APIClient:
    return token_client(bob_user)


def logged_in(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def is_logged_in(http: HttpClient) -> bool:
    return http.get("/profile/").status_code == 200


def add_user(client: Any, email: str) -> User:
    user = User.objects.create_user(email=email, password=f.PASSWORD)
    Membership.objects.create(client=client, user=user, role=Membership.Role.USER)
    return user


# --- language ---------------------------------------------------------------------------------


def test_language_set_through_the_api_is_saved_and_drives_the_account_mail(
    settings: Any, alice_api: APIClient, alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    response = alice_api.put("/api/v1/account/language/", {"language": "es"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"language": "es"}
    alice_user.refresh_from_db()
    assert alice_user.language == "es"
    assert alice_api.get("/api/v1/me/").json()["user"]["language"] == "es"
    with django_capture_on_commit_callbacks(execute=True):
        HttpClient().post("/password-reset/", {"email": alice_user.email})
    assert "contraseña" in mail.outbox[0].subject


@pytest.mark.parametrize("value", ["xx", "", 5, None])
def test_an_unknown_language_is_refused_naming_the_field_and_changes_nothing(
    alice_api: APIClient, alice_user: Any, value: Any
) -> None:
    response = alice_api.put("/api/v1/account/language/", {"language": value}, format="json")

    assert response.status_code == 400
    assert "language" in response.json() and response.json()["code"] == "invalid"
    alice_user.refresh_from_db()
    assert alice_user.language == "en"


# --- password ---------------------------------------------------------------------------------


def change_password(api: Any, old: str, new: str = NEW_PASSWORD) -> Any:
    return api.post("/api/v1/account/password/", {"old_password": old, "new_password": new}, format="json")


def test_password_change_needs_the_current_password(alice_api: APIClient, alice_user: Any) -> None:
    wrong = change_password(alice_api, "not-my-password")

    assert wrong.status_code == 400
    assert "old_password" in wrong.json()
    assert HttpClient().login(username=alice_user.email, password=f.PASSWORD)

    assert change_password(alice_api, f.PASSWORD).status_code == 204
    assert HttpClient().login(username=alice_user.email, password=NEW_PASSWORD)
    assert not HttpClient().login(username=alice_user.email, password=f.PASSWORD)


@pytest.mark.parametrize("new", ["123", "password", "alice@test.test"])
def test_a_weak_new_password_is_refused_naming_the_field(alice_api: APIClient, alice_user: Any, new: str) -> None:
    response = change_password(alice_api, f.PASSWORD, new)

    assert response.status_code == 400
    assert "new_password" in response.json()
    assert HttpClient().login(username=alice_user.email, password=f.PASSWORD)


def test_password_change_logs_out_the_browsers_but_keeps_the_calling_session(alice_user: Any) -> None:
    caller, other = logged_in(alice_user), logged_in(alice_user)

    response = caller.post(
        "/api/v1/account/password/", {"old_password": f.PASSWORD, "new_password": NEW_PASSWORD}, "application/json"
    )

    assert response.status_code == 204
    assert is_logged_in(caller)
    assert not is_logged_in(other)


def test_wrong_current_passwords_count_as_failed_logins_of_the_account(alice_api: APIClient) -> None:
    for _ in range(20):  # login_account_failure: 20/hour
        assert change_password(alice_api, "guess").status_code == 400

    refused = change_password(alice_api, f.PASSWORD)

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert HttpClient().post("/login/", {"username": "alice@test.test", "password": f.PASSWORD}).status_code == 429


# --- sessions ---------------------------------------------------------------------------------


def test_log_out_other_sessions_over_a_session_keeps_this_one(alice_user: Any) -> None:
    caller, other = logged_in(alice_user), logged_in(alice_user)

    assert caller.post("/api/v1/account/log-out-other-sessions/").status_code == 204

    assert is_logged_in(caller)
    assert not is_logged_in(other)


def test_log_out_other_sessions_with_a_token_ends_every_browser_session(
    alice_api: APIClient, alice_user: Any, bob_user: Any
) -> None:
    browser, bobs = logged_in(alice_user), logged_in(bob_user)

    assert alice_api.post("/api/v1/account/log-out-other-sessions/").status_code == 204

    assert not is_logged_in(browser)
    assert is_logged_in(bobs)
    assert alice_api.get("/api/v1/me/").status_code == 200  # the token is not a session


# --- the account's users ----------------------------------------------------------------------


def test_the_accounts_users_are_listed_and_a_client_never_sees_another_clients(
    alice_api: APIClient, bob_api: APIClient, alice: Any, bob: Any
) -> None:
    add_user(alice, "carol@test.test")
    add_user(bob, "dave@test.test")

    alices = alice_api.get("/api/v1/account/users/").json()
    bobs = bob_api.get("/api/v1/account/users/").json()

    assert alices["count"] == 2
    assert [(u["email"], u["role"]) for u in alices["results"]] == [
        ("alice@test.test", "owner"),
        ("carol@test.test", "user"),
    ]
    assert [u["email"] for u in bobs["results"]] == ["bob@test.test", "dave@test.test"]
    assert set(alices["results"][0]) == {"id", "email", "first_name", "last_name", "role"}


def test_staff_without_a_client_account_have_no_account_users(staff: Any) -> None:
    response = token_client(staff).get("/api/v1/account/users/")

    assert response.status_code == 403
    assert "client account" in response.json()["detail"]


def test_account_users_queries_do_not_grow(alice_api: APIClient, alice: Any) -> None:
    def queries() -> int:
        alice_api.get("/api/v1/account/users/")
        with CaptureQueriesContext(connection) as captured:
            assert alice_api.get("/api/v1/account/users/").status_code == 200
        return len(captured)

    for i in range(3):
        add_user(alice, f"n{i}@test.test")
    at_n = queries()
    for i in range(3, 6):
        add_user(alice, f"n{i}@test.test")
    assert queries() == at_n


# --- contract ---------------------------------------------------------------------------------

ENDPOINTS = [
    ("put", "/api/v1/account/language/"),
    ("post", "/api/v1/account/password/"),
    ("post", "/api/v1/account/log-out-other-sessions/"),
    ("get", "/api/v1/account/users/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_the_account_endpoints_need_authentication_and_are_in_the_schema(method: str, path: str) -> None:
    api = APIClient()
    assert getattr(api, method)(path, {}, format="json").status_code == 401

    schema = api.get("/api/v1/schema/?format=json").json()
    assert method in schema["paths"][path]
