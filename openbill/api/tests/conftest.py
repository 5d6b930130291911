"""API personas: alice and bob call the API with their own tokens."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken


def token_client(user: Any) -> APIClient:
    _, raw = ApiToken.issue(user, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def alice_api(alice_user: Any) -> APIClient:
    return token_client(alice_user)


@pytest.fixture
def bob_api(bob_user: Any) -> APIClient:
    return token_client(bob_user)


@pytest.fixture
def staff_api(staff: Any) -> APIClient:
    return token_client(staff)
