"""The read replica (openbill.core.replica): the opted-in GET pages read services from the
``replica`` alias; a POST, the money pages and anything in a transaction never do; a replica
that lags more than the limit or cannot be reached is left alone for a while.

``replica`` is a test mirror of ``default`` (conftest.py): a second connection to the same
database, so every query can be told apart by the connection that ran it.
"""

from __future__ import annotations

import logging
import socket
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connections, transaction
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openbill.api.tests.conftest import token_client
from openbill.billing.models import LedgerEntry
from openbill.core import replica as replica_module
from openbill.core.replica import PIN_COOKIE, REPLICA, ReplicaRouter, replica_lag_seconds, replica_reads
from openbill.core.tests import factories as f
from openbill.core.tests.replica_helpers import NEVER_ON_REPLICA, REPLICA_DB, replica_on  # noqa: F401  (fixture)
from openbill.core.tests.replica_helpers import queries as _queries
from openbill.services.models import Service

pytestmark = [REPLICA_DB, pytest.mark.usefixtures("replica_on")]


@pytest.fixture
def services(alice: Any, vps_plan: Any) -> list[Service]:
    return [f.service(alice, vps_plan, name=f"web-{n}") for n in range(3)]


def _http(alice: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(alice.memberships.get().user)
    return http


def test_the_service_lists_and_details_read_from_the_replica(alice: Any, services: list[Service]) -> None:
    http = _http(alice)
    api = token_client(alice.memberships.get().user)
    first = services[0]
    pages = {
        "dashboard": lambda: http.get(reverse("clientarea:dashboard")),
        "services": lambda: http.get(reverse("clientarea:services")),
        "services by status": lambda: http.get(reverse("clientarea:services"), {"status": "active"}),
        "services by id": lambda: http.get(reverse("clientarea:services"), {"id": first.pk}),
        "services by name": lambda: http.get(reverse("clientarea:services"), {"name": "web-1"}),
        "service": lambda: http.get(reverse("clientarea:service", args=[first.pk])),
        "history": lambda: http.get(reverse("clientarea:service_history", args=[first.pk])),
        "api list": lambda: api.get("/api/v1/services/"),
        "api detail": lambda: api.get(f"/api/v1/services/{first.pk}/"),
        "api history": lambda: api.get(f"/api/v1/services/{first.pk}/history/"),
        "api active": lambda: api.get("/api/v1/dashboard/active-services/"),
    }
    for page, call in pages.items():
        response, primary, replica = _queries(call)
        assert response.status_code == 200, page
        assert any('"services_service"' in sql for sql in replica), (page, replica)
        assert not any('"services_service"' in sql for sql in primary), (page, primary)
        assert all(sql.lstrip().upper().startswith("SELECT") for sql in replica), page
        assert not [sql for sql in replica if NEVER_ON_REPLICA.search(sql)], page
    response, _primary, _replica = _queries(pages["api list"])
    assert sorted(row["name"] for row in response.json()["results"]) == ["web-0", "web-1", "web-2"]


def test_a_post_that_charges_and_the_money_pages_never_touch_the_replica(alice: Any, services: list[Service]) -> None:
    http = _http(alice)
    service = services[0]
    response, primary, replica = _queries(
        lambda: http.post(reverse("clientarea:service_extend", args=[service.pk]), {"period": "month"})
    )
    assert response.status_code == 302
    assert replica == []
    assert any("INSERT" in sql and '"billing_ledgerentry"' in sql for sql in primary)
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00")
    assert list(LedgerEntry.objects.filter(service=service, kind="charge").values_list("amount", flat=True)) == [
        Decimal("-10.00")
    ]
    http.cookies.pop(PIN_COOKIE, None)  # the pin after a change is tested below
    api = token_client(alice.memberships.get().user)
    money = {
        "finances": lambda: http.get(reverse("clientarea:finances")),
        "orders": lambda: http.get(reverse("clientarea:orders")),
        "payments": lambda: http.get(reverse("clientarea:payments")),
        "extend form": lambda: http.get(reverse("clientarea:service_extend", args=[service.pk])),
        "api ledger": lambda: api.get("/api/v1/ledger/"),
        "api balance": lambda: api.get("/api/v1/balance/"),
    }
    for page, call in money.items():
        response, _primary, replica = _queries(call)
        assert response.status_code == 200, page
        assert replica == [], page


def test_after_a_change_the_browser_reads_its_own_writes_from_the_primary(alice: Any, services: list[Service]) -> None:
    http = _http(alice)
    service = services[0]
    response = http.post(reverse("clientarea:service_suspend", args=[service.pk]))
    assert response.status_code == 302
    assert http.cookies[PIN_COOKIE]["max-age"] == 5
    response, primary, replica = _queries(lambda: http.get(reverse("clientarea:service", args=[service.pk])))
    assert response.status_code == 200
    assert replica == []
    assert any('"services_service"' in sql for sql in primary)
    http.cookies.pop(PIN_COOKIE)  # five seconds later
    _response, _primary, replica = _queries(lambda: http.get(reverse("clientarea:service", args=[service.pk])))
    assert any('"services_service"' in sql for sql in replica)


def test_the_router_keeps_transactions_locks_money_and_unflagged_reads_on_the_primary(
    alice: Any, services: list[Service], settings: Any
) -> None:
    router = ReplicaRouter()
    assert router.db_for_read(Service) == "default"  # not opted in
    with replica_reads():
        assert router.db_for_read(Service) == REPLICA
        assert router.db_for_read(LedgerEntry) == "default"  # money
        assert router.db_for_read(type(alice)) == "default"  # a client's balance
        with transaction.atomic():
            assert router.db_for_read(Service) == "default"  # inside a transaction
            _response, primary, replica = _queries(
                lambda: list(Service.objects.select_for_update().filter(client=alice))
            )
            assert replica == [] and any('"services_service"' in sql for sql in primary)
        assert router.db_for_write(Service) == "default"
        assert router.db_for_read(Service) == "default"  # a write turns the rest of the request to the primary
    with replica_reads():
        settings.OPENBILL_READ_REPLICA = False
        assert router.db_for_read(Service) == "default"  # no replica configured
    assert router.allow_migrate(REPLICA, "services") is False


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The router's clock, moved by hand: ``clock[0] += seconds``."""
    now = [1000.0]
    monkeypatch.setattr(replica_module, "monotonic", lambda: now[0])
    return now


def test_the_lag_is_asked_of_the_replica_itself() -> None:
    # The mirror is the primary itself (or SQLite): nothing replayed, so no lag.
    assert replica_lag_seconds() is None


def test_a_replica_further_behind_than_the_limit_is_left_alone(
    alice: Any, services: list[Service], settings: Any, monkeypatch: pytest.MonkeyPatch, clock: list[float], caplog: Any
) -> None:
    settings.OPENBILL_REPLICA_MAX_LAG_SECONDS = 10
    lags: list[float | None] = [12.0, 3.0, None]
    asked: list[float | None] = []

    def lag() -> float | None:
        asked.append(lags[len(asked)])
        return asked[-1]

    monkeypatch.setattr(replica_module, "replica_lag_seconds", lag)
    http = _http(alice)
    page = reverse("clientarea:service", args=[services[0].pk])
    with caplog.at_level(logging.WARNING, logger="openbill.core.replica"):
        for _ in range(3):  # 12 s behind: the primary, asked once for the three pages
            response, primary, replica = _queries(lambda: http.get(page))
            assert response.status_code == 200
            assert replica == [] and any('"services_service"' in sql for sql in primary)
    assert asked == [12.0]
    assert [r.getMessage() for r in caplog.records] == ["Read replica 12.0s behind (limit 10s), reading the primary"]
    clock[0] += replica_module.LAG_CHECK_SECONDS + 0.1
    for expected in (3.0, None):  # within the limit, then nothing replayed: the replica again
        response, primary, replica = _queries(lambda: http.get(page))
        assert response.status_code == 200
        assert asked[-1] == expected
        assert any('"services_service"' in sql for sql in replica)
        assert not any('"services_service"' in sql for sql in primary)
        clock[0] += replica_module.LAG_CHECK_SECONDS + 0.1
    assert asked == [12.0, 3.0, None]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again on leaving: nothing listens there


def _unreachable_copy() -> Any:
    """A copy of the replica alias that points where nothing answers."""
    mirror = connections[REPLICA]
    unreachable = {**mirror.settings_dict}
    if mirror.vendor == "postgresql":
        unreachable["PORT"] = _closed_port()
    else:
        unreachable["NAME"] = "/nonexistent/openbill/replica.sqlite3"  # SQLite cannot open it
    return type(mirror)(unreachable, REPLICA)


def test_an_unreachable_replica_is_left_alone_for_a_while(
    alice: Any, services: list[Service], clock: list[float], caplog: Any
) -> None:
    mirror, broken = connections[REPLICA], _unreachable_copy()
    http = _http(alice)
    page = reverse("clientarea:service", args=[services[0].pk])
    connections[REPLICA] = broken
    try:
        with caplog.at_level(logging.WARNING, logger="openbill.core.replica"):
            for _ in range(2):
                with CaptureQueriesContext(connections["default"]) as primary:
                    response = http.get(page)
                assert response.status_code == 200
                assert any('"services_service"' in q["sql"] for q in primary.captured_queries)
                clock[0] += replica_module.DOWN_SECONDS / 2  # still within the pause after the failure
        assert broken.connection is None
        warnings = [r.getMessage() for r in caplog.records]
        assert len(warnings) == 1 and warnings[0].startswith("Read replica unreachable, reading the primary for 30s:")
    finally:
        connections[REPLICA] = mirror
    clock[0] += replica_module.DOWN_SECONDS  # reachable again, and the pause is over
    response, primary, replica = _queries(lambda: http.get(page))
    assert response.status_code == 200
    assert any('"services_service"' in sql for sql in replica)
    assert not any('"services_service"' in sql for sql in primary)


def test_a_replica_that_fails_under_a_page_is_left_for_the_primary(
    alice: Any, services: list[Service], clock: list[float], caplog: Any
) -> None:
    http = _http(alice)
    api = token_client(alice.memberships.get().user)
    page = reverse("clientarea:service", args=[services[0].pk])
    _response, _primary, replica = _queries(lambda: http.get(page))
    assert any('"services_service"' in sql for sql in replica)  # checked and in use
    mirror, broken = connections[REPLICA], _unreachable_copy()
    connections[REPLICA] = broken  # gone before the next check is due
    try:
        with caplog.at_level(logging.WARNING, logger="openbill.core.replica"):
            for call in (lambda: http.get(page), lambda: api.get("/api/v1/services/")):
                with CaptureQueriesContext(connections["default"]) as primary:
                    response = call()
                assert response.status_code == 200
                assert any('"services_service"' in q["sql"] for q in primary.captured_queries)
        assert len(caplog.records) == 1 and caplog.records[0].getMessage().startswith("Read replica unreachable")
    finally:
        connections[REPLICA] = mirror
    response, primary, replica = _queries(lambda: http.get(page))  # reachable, but the pause holds
    assert replica == [] and any('"services_service"' in sql for sql in primary)


def test_a_failure_of_the_primary_under_a_read_only_page_is_not_run_again(alice: Any, services: list[Service]) -> None:
    runs: list[int] = []

    def page() -> None:
        runs.append(1)
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    with pytest.raises(DatabaseError):
        replica_module._read(page)
    assert runs == [1]
    assert replica_module.replica_usable()  # the replica was not blamed
