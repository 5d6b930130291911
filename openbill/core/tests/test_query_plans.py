"""Query plans in CI: the hot queries never read services, ledger entries or usage records with a
sequential scan once the tables are big enough for the planner to choose.

The tables are filled set-based (``INSERT … SELECT … generate_series`` copying a template row),
ANALYZEd, and the queries are the real ones: captured with CaptureQueriesContext while the views
answer (client area, API, usage ingestion) and while the renew sweep's own selection functions
run; each captured statement is then EXPLAINed (FORMAT JSON) and every plan node is checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.billing.models import LedgerEntry
from openbill.core.tests import factories as f
from openbill.metering.actions import rate_provider
from openbill.metering.models import ProviderToken, UsageRecord
from openbill.metering.tests.factories import record, traffic
from openbill.services.automation import renew
from openbill.services.automation.models import SweepRun
from openbill.services.models import Service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WATCHED = {Service._meta.db_table, LedgerEntry._meta.db_table, UsageRecord._meta.db_table}
# Big enough that a sequential scan costs the planner far more than an index (it picks one when
# a table is small), small enough to fill in seconds on an idle machine.
CLIENTS = 10_000
SERVICES = 100_000  # 10 a client, like the bench
LEDGER = 100_000
USAGE = 100_000


def clone(model: type[Model], template_pk: int, count: int, overrides: dict[str, str]) -> None:
    """Insert ``count`` copies of one row, with SQL expressions (over ``g``, 1…count) for some
    columns: one statement, however many rows."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    values = [overrides.get(column, f't."{column}"') for column in columns]
    table = model._meta.db_table
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({names}) SELECT {", ".join(values)} '
            f'FROM "{table}" t, generate_series(1, %s) g WHERE t."id" = %s',
            [count, template_pk],
        )


def id_range(model: type[Model], prefix_column: str, prefix: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT min(id), max(id) FROM "{model._meta.db_table}" WHERE "{prefix_column}" LIKE %s',
            [prefix + "%"],
        )
        low, high = cursor.fetchone()
    return low, high


def scans(plan: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield plan["Node Type"], plan.get("Relation Name", "")
    for child in plan.get("Plans", []):
        yield from scans(child)


def seq_scans(statements: list[str]) -> list[tuple[str, str]]:
    """The (watched table, statement) pairs whose plan reads the table sequentially."""
    found = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")):
                continue  # SAVEPOINT, RELEASE …
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            (document,) = cursor.fetchone()
            plan = (document if isinstance(document, list) else json.loads(document))[0]["Plan"]
            found += [(table, sql) for node, table in scans(plan) if node == "Seq Scan" and table in WATCHED]
    return found


def captured(call: Callable[[], Any]) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        call()
    return [q["sql"] for q in context.captured_queries]


@pytest.fixture
def big_tables(provider: Any, vps_plan: Any, alice: Any) -> dict[str, Any]:
    """Alice (the measured client) with a few services of each status among 10,000 clients with
    100,000 services, 100,000 ledger entries and 100,000 usage records; 1 % of the services due."""
    now = timezone.now()
    addon = traffic(vps_plan)
    mine = {
        "active": f.service(alice, vps_plan, name="web-1", addons={addon: "0"}),
        "suspended": f.service(alice, vps_plan, name="web-2", status="suspended", suspended_by_client=True),
        "ordered": f.service(alice, vps_plan, name="web-3", status="ordered"),
        "deleted": f.service(alice, vps_plan, name="web-4", status="deleted", deleted_at=now - timedelta(days=90)),
    }
    entry = LedgerEntry.objects.create(
        client=alice,
        kind="payment",
        amount=10,
        currency="USD",
        balance_after=110,
        key="fill:template",
        description_kind="top_up",
        created_at=now,
    )
    day = now.replace(minute=0, second=0, microsecond=0)
    usage = UsageRecord.objects.create(
        provider=provider,
        record_id="fill:template",
        service=mine["active"],
        resource="rx_bytes",
        at=day,
        on=day.date(),
        quantity=1,
        created_at=now,
    )
    clone(type(alice), alice.pk, CLIENTS, {"name": "'fill ' || g", "email": "'fill' || g || '@fill.test'"})
    first_client, _ = id_range(type(alice), "name", "fill ")
    client_of = f"{first_client} + mod(g, {CLIENTS})"
    # Statuses like the bench's ten-per-client shape; 1 % due (expired an hour ago), the rest later.
    clone(
        Service,
        mine["active"].pk,
        SERVICES,
        {
            "client_id": client_of,
            "name": "'fill-' || g",
            "status": "CASE WHEN mod(g, 10) = 9 THEN 'deleted' WHEN mod(g, 10) = 8 THEN 'ordered' ELSE 'active' END",
            "expires_at": "CASE WHEN mod(g, 100) = 0 THEN now() - interval '1 hour' "
            "ELSE now() + (mod(g, 300) + 2) * interval '1 day' END",
            "deleted_at": "CASE WHEN mod(g, 10) = 9 THEN now() - interval '90 days' END",
        },
    )
    first_service, last_service = id_range(Service, "name", "fill-")
    clone(
        LedgerEntry,
        entry.pk,
        LEDGER,
        {
            "client_id": client_of,
            "key": "'fill:' || g",
            "created_at": "now() - mod(g, 365) * interval '1 day'",
        },
    )
    clone(
        UsageRecord,
        usage.pk,
        USAGE,
        {
            "service_id": f"{first_service} + mod(g, {last_service - first_service + 1})",
            "record_id": "'fill:' || g",
            "at": "date_trunc('hour', now()) - mod(g, 720) * interval '1 hour'",
            "on": "(date_trunc('hour', now()) - mod(g, 720) * interval '1 hour')::date",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"mine": mine, "addon": addon}


def test_the_hot_queries_never_scan_services_ledger_or_usage_sequentially(
    provider: Any, alice: Any, alice_user: Any, big_tables: dict[str, Any]
) -> None:
    http = HttpClient()
    http.force_login(alice_user)
    api = APIClient()
    api.force_authenticate(alice_user)
    active = big_tables["mine"]["active"]
    services_url = reverse("clientarea:services")
    statements: dict[str, list[str]] = {
        "dashboard": captured(lambda: http.get(reverse("clientarea:dashboard"))),
        "services": captured(lambda: http.get(services_url)),
        "services by status": captured(lambda: http.get(services_url, {"status": "active"})),
        "services by id": captured(lambda: http.get(services_url, {"id": active.pk})),
        "services by name": captured(lambda: http.get(services_url, {"name": "web"})),
        "service": captured(lambda: http.get(reverse("clientarea:service", args=[active.pk]))),
        "ledger page": captured(lambda: http.get(reverse("clientarea:finances"))),
        "api services": captured(lambda: api.get("/api/v1/services/")),
        "api services by status": captured(lambda: api.get("/api/v1/services/", {"status": "active"})),
        "api ledger": captured(lambda: api.get("/api/v1/ledger/")),
    }
    # The renew sweep's selection: its planning count and a batch's due rows, from its own functions.
    at = timezone.now()
    run = SweepRun(sweep="renew", at=at, provider_ids=[])
    statements["renew plan"] = captured(lambda: renew.Renew.plan(at, None))
    statements["renew batch rows"] = captured(lambda: renew.due_rows(run, 0, 2**62, lock=False))
    # Usage: ingestion through the API, then the rating of the services it touched.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    token = ProviderToken.issue(provider, "meter")[1]
    meter = APIClient()
    meter.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    batch = [record(active, "rx_bytes", now - timedelta(hours=h + 1), "1", rid=f"plan:{h}") for h in range(50)]
    statements["usage ingestion"] = captured(lambda: meter.post("/api/v1/usage/", {"records": batch}, format="json"))
    statements["usage rating"] = captured(lambda: rate_provider(provider, now=timezone.now(), service_ids=[active.pk]))

    for page, sqls in statements.items():
        assert any(table in sql for sql in sqls for table in WATCHED), (page, "no query of a watched table captured")
    problems = [
        f"{page}: Seq Scan on {table}: {sql}" for page, sqls in statements.items() for table, sql in seq_scans(sqls)
    ]
    assert not problems, "\n".join(problems)
