"""Client-area fixtures: test clients logged in as the personas."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient


@pytest.fixture
def alice_http(alice_user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(alice_user)
    return http


@pytest.fixture
def bob_http(bob_user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(bob_user)
    return http
