"""API tokens: shown once, stored hashed, revoked at once, and guessing them is throttled."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_created_token_is_shown_once_and_stored_only_as_a_hash(alice_api, alice_user):
    response = alice_api.post("/api/v1/tokens/", {"name": "deploy script"}, format="json")

    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("obt_") and len(raw) > 40
    stored = ApiToken.objects.get(pk=response.json()["id"])
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(getattr(stored, field.attname)) for field in ApiToken._meta.concrete_fields}
    listed = alice_api.get("/api/v1/tokens/").json()["results"]
    assert raw not in str(listed)
    assert "token" not in alice_api.get(f"/api/v1/tokens/{stored.pk}/").json()


def test_new_token_authenticates(alice_api, alice):
    raw = alice_api.post("/api/v1/tokens/", {"name": "ci"}, format="json").json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")

    assert api.get("/api/v1/me/").json()["client"]["id"] == alice.pk


def test_revoked_token_is_refused(alice_user):
    api = token_client(alice_user)
    token_id = api.get("/api/v1/tokens/").json()["results"][0]["id"]

    assert api.delete(f"/api/v1/tokens/{token_id}/").status_code == 204

    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert ApiToken.objects.get(pk=token_id).revoked_at is not None
    assert ApiToken.objects.filter(user=alice_user, revoked_at__isnull=True).count() == 0


def test_token_name_is_required(alice_api):
    response = alice_api.post("/api/v1/tokens/", {"name": ""}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert not ApiToken.objects.filter(name="").exists()


def test_unknown_token_is_refused_with_401(client):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer obt_not-a-token")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_repeated_failed_tokens_are_throttled_even_for_a_later_valid_token(client, alice_user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token_auth_failure": "5/min"}}
    _, raw = ApiToken.issue(alice_user, "real")

    statuses = [client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer obt_guess{i}").status_code for i in range(7)]
    late_valid = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert statuses == [401] * 5 + [429, 429]
    assert late_valid.status_code == 429
    assert "Retry-After" in late_valid


def test_successful_token_requests_are_not_throttled(alice_api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token_auth_failure": "3/min"}}

    assert {alice_api.get("/api/v1/me/").status_code for _ in range(10)} == {200}


def test_malformed_authorization_header_is_a_401_not_a_crash(client):
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer").status_code == 401
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer a b").status_code == 401
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="B\xe9arer x").status_code == 401


@pytest.mark.parametrize("name", [0, True, None, ["a"], " " + "x" * 100])
def test_token_name_must_be_a_string_of_at_most_100_characters(alice_api, name):
    response = alice_api.post("/api/v1/tokens/", {"name": name}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_session_callers_need_the_csrf_token_to_create_tokens(alice_user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice_user)

    response = browser.post("/api/v1/tokens/", {"name": "from a page"}, content_type="application/json")

    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="from a page").exists()
