"""Authenticated answers are never stored by a browser or proxy cache (``Cache-Control:
no-store``): pages, the page that shows a new API token, the API (with a session cookie or a token),
the certificate download with its private key. Public static files still cache."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.core.crypto import encrypt
from openbill.core.tests import factories as f
from openbill.provisioning.models import Certificate

pytestmark = pytest.mark.django_db


def assert_no_store(response: Any) -> None:
    assert response.status_code in (200, 201), (response.status_code, response.content[:300])
    assert "no-store" in response.get("Cache-Control", ""), response.get("Cache-Control")


@pytest.fixture
def alice_web(alice_user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(alice_user)
    return http


@pytest.fixture
def token_api(alice_user: Any) -> APIClient:
    _, raw = ApiToken.issue(alice_user, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def ssl_service(alice: Any, provider: Any) -> Any:
    service = f.service(alice, f.tariff(f.product_type(provider, "ssl"), "SSL"))
    Certificate.objects.create(
        service=service,
        domain="shop.test",
        serial="ab",
        certificate_pem="LEAF",
        chain_pem="CA",
        private_key_encrypted=encrypt("KEY"),
        not_after=timezone.now() + timedelta(days=90),
        issued_at=timezone.now(),
    )
    return service


@pytest.mark.parametrize("url", ["/", "/services/", "/finances/", "/profile/", "/orders/"])
def test_client_area_pages_are_not_stored(alice_web: HttpClient, url: str) -> None:
    assert_no_store(alice_web.get(url))


def test_the_page_showing_a_new_api_token_is_not_stored(alice_web: HttpClient) -> None:
    response = alice_web.post("/profile/tokens/", {"name": "deploy"}, follow=True)
    assert "obt_" in response.content.decode()
    assert_no_store(response)


def test_certificate_downloads_with_the_private_key_are_not_stored(
    alice_web: HttpClient, token_api: APIClient, ssl_service: Any
) -> None:
    api = token_api.get(f"/api/v1/services/{ssl_service.pk}/certificate/")
    assert api.json()["private_key"] == "KEY"
    assert_no_store(api)
    assert_no_store(alice_web.get(f"/services/{ssl_service.pk}/certificate/key/"))


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/services/", "/api/v1/ledger/", "/api/v1/tokens/"])
def test_api_answers_to_a_token_are_not_stored(token_api: APIClient, url: str) -> None:
    assert_no_store(token_api.get(url))


def test_api_answers_to_a_session_are_not_stored(alice_web: HttpClient) -> None:
    assert_no_store(alice_web.get("/api/v1/me/"))


def test_a_new_api_token_in_the_api_is_not_stored(token_api: APIClient) -> None:
    response = token_api.post("/api/v1/tokens/", {"name": "ci"}, format="json")
    assert response.json()["token"].startswith("obt_")
    assert_no_store(response)


def test_staff_pages_are_not_stored(staff: Any) -> None:
    http = HttpClient()
    http.force_login(staff)
    assert_no_store(http.get("/admin/"))


def test_public_static_files_still_cache(alice_web: HttpClient) -> None:
    response = alice_web.get("/static/openbill/openbill.css")
    assert response.status_code == 200
    cache_control = response.get("Cache-Control", "")
    assert "max-age=" in cache_control and "no-store" not in cache_control
