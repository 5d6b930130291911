"""The session's user is loaded with its client account and its two-factor flag in one query
(accounts.backends), and every check the separate queries made still holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user
from django.db import connection
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from openbill.accounts.selectors import client_of
from openbill.accounts.twofactor import is_enabled
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db


def session_request(http: HttpClient) -> Any:
    """A request carrying ``http``'s session, as the middleware sees it before the view."""
    request = RequestFactory().get("/")
    request.session = http.session
    return request


def test_a_clients_user_comes_with_its_account_and_provider_in_one_query(alice: Any, alice_user: Any) -> None:
    http = HttpClient()
    http.force_login(alice_user)
    request = session_request(http)
    assert request.session.keys()  # the session's own query, before counting
    with CaptureQueriesContext(connection) as queries:
        user = get_user(request)
        client = client_of(user)
        zone, currency = client.provider.time_zone, client.currency  # type: ignore[union-attr]
    assert user.pk == alice_user.pk and client == alice
    assert (zone, currency) == (alice.provider.time_zone, alice.currency)
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]


def test_a_page_asks_neither_the_account_nor_the_app_separately(alice_user: Any) -> None:
    """The session, then the user with its account and 2FA flag: no query of its own for either."""
    http = HttpClient()
    http.force_login(alice_user)
    http.get("/services/")
    with CaptureQueriesContext(connection) as queries:
        assert http.get("/services/").status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert [sql for sql in statements if "otp_totp_totpdevice" in sql] == [
        sql for sql in statements if sql.startswith('SELECT "accounts_membership"')
    ]
    assert not [sql for sql in statements if sql.startswith('SELECT "clients_client"')]


def test_a_deactivated_users_session_ends(alice_user: Any) -> None:
    http = HttpClient()
    http.force_login(alice_user)
    assert http.get("/services/").status_code == 200
    alice_user.is_active = False
    alice_user.save(update_fields=["is_active"])
    assert http.get("/services/")["Location"].startswith("/login/")


def test_staff_without_a_client_account_still_log_in(settings: Any) -> None:
    settings.OPENBILL_STAFF_2FA = False
    staff = f.staff_user()
    http = HttpClient()
    http.force_login(staff)
    user = get_user(session_request(http))
    assert user.pk == staff.pk and user.is_staff
    assert client_of(user) is None
    assert http.get("/admin/").status_code == 200


def test_an_app_confirmed_after_the_session_began_is_seen_on_the_next_request(alice_user: Any) -> None:
    """The flag is read with the user on each request: a session that never passed a code ends as
    soon as the user has an authenticator app, whichever process confirmed it."""
    http = HttpClient()
    http.force_login(alice_user)
    assert http.get("/services/").status_code == 200
    TOTPDevice.objects.create(user=alice_user, name="app", confirmed=True)
    assert is_enabled(alice_user)
    assert http.get("/services/")["Location"].startswith("/login/")
    assert http.get("/profile/")["Location"].startswith("/login/")  # logged out, not only refused


def test_the_loaded_rows_equal_what_the_orm_loads(alice: Any, alice_user: Any) -> None:
    """The backend's own statement gives the user, account and provider the ORM would: every
    field with its type (decimals, datetimes, booleans), on SQLite and on PostgreSQL."""
    from decimal import Decimal

    from openbill.accounts.backends import AccountBackend
    from openbill.accounts.models import User
    from openbill.clients.models import Client, Provider

    Client.objects.filter(pk=alice.pk).update(credit_limit=Decimal("12.50"))
    TOTPDevice.objects.create(user=alice_user, name="unconfirmed", confirmed=False)

    user = AccountBackend().get_user(alice_user.pk)
    assert user is not None
    client = user._openbill_client  # type: ignore[attr-defined]
    pairs = [
        (user, User.objects.get(pk=alice_user.pk)),
        (client, Client.objects.get(pk=alice.pk)),
        (client.provider, Provider.objects.get(pk=alice.provider_id)),
    ]
    for loaded, expected in pairs:
        for field in type(expected)._meta.concrete_fields:
            got, want = getattr(loaded, field.attname), getattr(expected, field.attname)
            assert (got, type(got)) == (want, type(want)), field.attname
    assert client.credit_limit == Decimal("12.50") and isinstance(client.credit_limit, Decimal)
    assert getattr(user, "_openbill_totp_at_load") is False  # an unconfirmed app is no app
    assert client_of(User.objects.get(pk=alice_user.pk)) == client
