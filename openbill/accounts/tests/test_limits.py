"""Per-address limits count one client address everywhere (the API's token throttle, the login
form's lock-out, the link and sign-up limits): REMOTE_ADDR, or behind ``OPENBILL_NUM_PROXIES``
trusted proxies the address the nearest proxy reports."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"


def _login(user: Any, password: str, forwarded_for: str) -> int:
    http = HttpClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    return http.post("/login/", {"username": user.email, "password": password}).status_code


def test_behind_a_trusted_proxy_the_login_lock_out_counts_each_client_not_the_proxy(
    settings: Any, provider: Any
) -> None:
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    users = [f.client(provider, f"user{n}@test.test").memberships.get().user for n in range(4)]

    # One client behind the proxy tries three accounts and is locked out,
    assert [_login(user, "wrong", "203.0.113.5") for user in users[:3]] == [200, 200, 429]
    assert _login(users[3], f.PASSWORD, "203.0.113.5") == 429
    # another client behind the same proxy is not,
    assert _login(users[3], f.PASSWORD, "203.0.113.6") == 302
    # and a client cannot escape by forging an address to the left of the proxy's.
    assert _login(users[3], f.PASSWORD, "198.51.100.1, 203.0.113.5") == 429


def test_with_no_trusted_proxy_every_client_behind_a_proxy_counts_as_the_proxy(settings: Any, provider: Any) -> None:
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    users = [f.client(provider, f"user{n}@test.test").memberships.get().user for n in range(4)]

    assert [_login(user, "wrong", "203.0.113.5") for user in users[:3]] == [200, 200, 429]

    assert _login(users[3], f.PASSWORD, "203.0.113.6") == 429
