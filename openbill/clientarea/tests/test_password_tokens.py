"""API tokens do not outlive the password: a reset revokes them all; a change offers to (on by
default)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client as HttpClient
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openbill.accounts.models import ApiToken
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-New-passphrase-42"


def _me_with(raw: str) -> int:
    return HttpClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def test_a_password_reset_revokes_every_api_token_of_the_user(alice_user: Any, bob_user: Any) -> None:
    _, alice_raw = ApiToken.issue(alice_user, "deploy")
    _, alice_other = ApiToken.issue(alice_user, "ci")
    _, bob_raw = ApiToken.issue(bob_user, "bob's")
    uid = urlsafe_base64_encode(force_bytes(alice_user.pk))
    http = HttpClient()
    # The link from the reset mail moves its token into the session and redirects to the form.
    form_url = http.get(f"/password-reset/{uid}/{default_token_generator.make_token(alice_user)}/")["Location"]

    done = http.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert "API tokens" in http.get(done["Location"]).content.decode()
    assert _me_with(alice_raw) == 401
    assert _me_with(alice_other) == 401
    assert not ApiToken.objects.filter(user=alice_user, revoked_at__isnull=True).exists()
    assert _me_with(bob_raw) == 200  # another user's tokens are untouched


def test_the_password_change_form_offers_to_revoke_the_tokens_ticked_by_default(alice_user: Any) -> None:
    http = HttpClient()
    http.force_login(alice_user)

    page = http.get("/profile/password/").content.decode()

    assert 'name="revoke_api_tokens"' in page
    assert 'name="revoke_api_tokens" checked' in page or "checked" in page.split('name="revoke_api_tokens"')[1][:80]


def test_a_password_change_with_the_box_ticked_revokes_the_tokens(alice_user: Any) -> None:
    _, raw = ApiToken.issue(alice_user, "deploy")
    http = HttpClient()
    http.force_login(alice_user)

    response = http.post(
        "/profile/password/",
        {
            "old_password": f.PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "revoke_api_tokens": "on",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "1 API token was revoked" in response.content.decode()
    assert _me_with(raw) == 401


def test_a_password_change_with_the_box_cleared_keeps_the_tokens(alice_user: Any) -> None:
    _, raw = ApiToken.issue(alice_user, "deploy")
    http = HttpClient()
    http.force_login(alice_user)

    response = http.post(
        "/profile/password/",
        {"old_password": f.PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.status_code == 200
    assert "revoked" not in response.content.decode()
    assert _me_with(raw) == 200


def test_a_refused_password_change_revokes_nothing(alice_user: Any) -> None:
    _, raw = ApiToken.issue(alice_user, "deploy")
    http = HttpClient()
    http.force_login(alice_user)

    response = http.post(
        "/profile/password/",
        {
            "old_password": "wrong",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "revoke_api_tokens": "on",
        },
    )

    assert response.status_code == 200
    assert _me_with(raw) == 200
