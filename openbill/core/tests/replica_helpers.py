"""Helpers of the read-replica tests: which connection ran which query.

``replica`` is a test mirror of ``default`` (conftest.py): a second connection to the same
database, so every query can be told apart by the connection that ran it. The tests of each app
whose pages opt in (``@replica_reads_view``, ``ReplicaReadsMixin``) use these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from openbill.core.replica import PIN_COOKIE, REPLICA, forget_replica_health

# Mark a test module with this: both aliases open, real commits (a mirror sees only those).
REPLICA_DB = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])

# Tables the replica must never serve: money, logins and sessions. (A service row's query may
# join its client for the provider's currency, a ticket message its author for the name shown;
# a client or a user is never read from it on its own, so no login decision is taken on it.)
NEVER_ON_REPLICA = re.compile(
    r'(FROM|JOIN) "(billing_|payments_|orders_|invoicing_|auth_|django_session|openbill_cache)'
    r'|FROM "accounts_|JOIN "accounts_(?!user")'
)

# What a replica may run: a SELECT, or one through a server-side cursor (a form's choices on
# PostgreSQL), which a hot standby allows too.
READ = re.compile(r'(DECLARE "\w+" NO SCROLL CURSOR WITH(OUT)? HOLD FOR )?SELECT\b', re.IGNORECASE)


@pytest.fixture
def replica_on(settings: Any) -> Iterator[None]:
    """The replica alias in use, with a fresh answer about its lag."""
    settings.OPENBILL_READ_REPLICA = True
    forget_replica_health()
    yield
    forget_replica_health()


def queries(call: Callable[[], Any]) -> tuple[Any, list[str], list[str]]:
    """The call's response, the SQL run on the primary and the SQL run on the replica."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = call()
    return response, [q["sql"] for q in primary.captured_queries], [q["sql"] for q in replica.captured_queries]


def _touches(sql: list[str], tables: tuple[str, ...]) -> list[str]:
    return [q for q in sql if any(f'"{table}"' in q for table in tables)]


def assert_reads_replica(page: str, call: Callable[[], Any], tables: tuple[str, ...]) -> Any:
    """The page answers 200 and reads ``tables`` from the replica only, and the replica ran
    nothing but SELECTs of tables it may serve."""
    response, primary, replica = queries(call)
    assert response.status_code == 200, (page, response.status_code)
    assert _touches(replica, tables), (page, replica)
    assert not _touches(primary, tables), (page, primary)
    assert all(READ.match(q.lstrip()) for q in replica), (page, replica)
    assert not [q for q in replica if NEVER_ON_REPLICA.search(q)], (page, replica)
    return response


def assert_reads_primary(page: str, call: Callable[[], Any], tables: tuple[str, ...]) -> Any:
    """The page answers 200 and reads ``tables`` from the primary, nothing from the replica."""
    response, primary, replica = queries(call)
    assert response.status_code == 200, (page, response.status_code)
    assert replica == [], (page, replica)
    assert _touches(primary, tables), (page, primary)
    return response


def assert_pinned_after(
    http: Any, post: Callable[[], Any], pages: dict[str, Callable[[], Any]], tables: tuple[str, ...]
) -> None:
    """After the browser's POST, its GETs within the pin window read the primary; once the pin
    cookie has gone, the replica again."""
    response = post()
    assert response.status_code in (200, 201, 202, 302), response.status_code
    assert http.cookies[PIN_COOKIE]["max-age"] == 5
    for page, call in pages.items():
        assert_reads_primary(page, call, tables)
    http.cookies.pop(PIN_COOKIE)  # the pin window is over
    for page, call in pages.items():
        assert_reads_replica(page, call, tables)
