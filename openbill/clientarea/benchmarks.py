"""``openbill bench pages --services N [--json]``: the client area and API lists at scale.

Fills the database with N services over N/10 clients (set-based: COPY on PostgreSQL, one
multi-row insert per table elsewhere; a demo-like catalog under a provider of its own, "Bench
Hosting"), then times, in-process (Django's test client, logged in as one client), the dashboard,
the Goods/Services list's first page (unfiltered, and filtered by status, by id and by part of a
name) and the API's services list: a warm-up, then ``--requests`` requests each; prints p50/p95
wall time, CPU time and the queries per page. Running it again on the same database tops the data
up to N instead of refilling it, so timings can be repeated.

Target (PostgreSQL, N = 1,000,000 over 100,000 clients, ``--client-services 1000``): p95 under
25 ms and at most 10 queries for each page; the run, fill included, in under 30 minutes.
"""

from __future__ import annotations

import json
import statistics
import time
from argparse import ArgumentParser
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from openbill.accounts.models import Membership, User
from openbill.billing.models import EntryKind, LedgerEntry
from openbill.catalog.demo import build as build_catalog
from openbill.catalog.models import Addon, TariffPlan, ValueType
from openbill.clients.models import Client, Provider
from openbill.core.collector import settle
from openbill.core.demo import Demo
from openbill.core.texts import Text
from openbill.core.texts import fields as text_fields
from openbill.core.timeutil import add_period
from openbill.services.choices import Operation, Status
from openbill.services.models import Service, ServiceAddon, ServiceEvent

PROVIDER_NAME = "Bench Hosting"
SERVICES_PER_CLIENT = 10
BATCH = 2000
PAGES = ("dashboard", "services", "services_status", "services_id", "services_name", "api_services")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--services", type=int, default=10000, help="Services in the database (N); N/10 clients.")
    parser.add_argument("--requests", type=int, default=200, help="Timed requests per page.")
    parser.add_argument("--warmup", type=int, default=20, help="Untimed requests per page first.")
    parser.add_argument(
        "--client-services",
        type=int,
        default=0,
        help="Give the measured client this many services (default: the usual ten), as its oldest rows.",
    )
    parser.add_argument("--fill-only", action="store_true", help="Fill the database, time nothing.")


def run(options: dict[str, Any], stdout: IO[str]) -> dict[str, Any]:
    wanted = options["services"]
    quiet = options.get("json", False)

    def say(text: str) -> None:
        if not quiet:
            stdout.write(text + "\n")

    started = time.perf_counter()
    filled = 0
    if options.get("client_services"):
        # The measured client first, so that its services are the oldest rows: the case where a
        # newest-first list without the right index walks past everyone else's services.
        if not Service.objects.filter(client__provider__name=PROVIDER_NAME).exists():
            filled += fill(SERVICES_PER_CLIENT, say=say)
        filled += enlarge_measured_client(options["client_services"], say=say)
        wanted += Service.objects.filter(client=measured_client()).count() - SERVICES_PER_CLIENT
    filled += fill(wanted, say=say)
    result: dict[str, Any] = {
        "services_total": Service.objects.filter(client__provider__name=PROVIDER_NAME).count(),
        "services_created": filled,
        "fill_seconds": round(time.perf_counter() - started, 1),
        "database": connection.vendor,
    }
    result["client_services"] = Service.objects.for_client(measured_client()).count()
    if options.get("fill_only"):
        return result

    user = measured_user()
    # In-process requests: static URLs without a collected manifest, and the test client's host.
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        # force_login has no client address for the login lock-out to record (PostgreSQL's inet
        # refuses None); the bench times pages, not logins.
        AXES_ENABLED=False,
    ):
        http = HttpClient()
        http.force_login(user)
        settle()  # as openbill.wsgi does once the application is loaded
        for page, url in page_urls().items():
            timing = time_page(http, url, requests=options["requests"], warmup=options["warmup"])
            result[page] = timing
            say(
                f"{page:15} {url:32} p50 {timing['p50_ms']:7.2f} ms   p95 {timing['p95_ms']:7.2f} ms   "
                f"(cpu p50 {timing['cpu_p50_ms']:.2f} ms)   {timing['queries']} queries"
            )
    result["machine_ms"] = machine_ms()
    say(
        f"services in the database: {result['services_total']} (filled in {result['fill_seconds']} s); "
        f"the measured client sees {result['client_services']}"
    )
    say(f"this machine's speed: a fixed Python loop took {result['machine_ms']} ms (median of 5; less is faster)")
    return result


def machine_ms() -> float:
    """How fast this machine runs plain Python now: the median of five runs of one fixed loop (dict,
    string and integer work, no I/O), in ms. The pages' times scale with it, so figures taken on
    different machines, or on one shared machine at different hours, are compared through it."""
    runs = []
    for _ in range(5):
        begin = time.process_time()
        table: dict[int, str] = {}
        for i in range(200_000):
            table[i % 1000] = f"{i}:{i * 7 % 13}"
        runs.append((time.process_time() - begin) * 1000)
    return round(statistics.median(runs), 1)


def page_urls() -> dict[str, str]:
    """Each timed page: the dashboard, the services list's first page unfiltered and filtered
    (by status, by one of the measured client's ids, by part of a name), the API's list."""
    urls: dict[str, str] = {}
    for page, name in (("dashboard", "clientarea:dashboard"), ("services", "clientarea:services")):
        try:
            urls[page] = reverse(name)
        except NoReverseMatch:
            continue  # the page is not built yet
    if "services" in urls:
        # A service in the middle of the client's list, so the id filter is not the newest row.
        ids = Service.objects.for_client(measured_client()).order_by("id").values_list("id", flat=True)
        middle = ids[max(0, ids.count() // 2 - 1)]
        urls["services_status"] = f"{urls['services']}?status=active"
        urls["services_id"] = f"{urls['services']}?id={middle}"
        urls["services_name"] = f"{urls['services']}?name=pro"
    urls["api_services"] = "/api/v1/services/"
    return urls


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of the samples (milliseconds)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def time_page(http: HttpClient, url: str, *, requests: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        _checked(http.get(url), url)
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # Django resets connection.queries when a request starts; count through a wrapper instead.
    with connection.execute_wrapper(count):
        _checked(http.get(url), url)
    samples: list[float] = []
    cpu: list[float] = []
    for _ in range(requests):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        response = http.get(url)
        samples.append((time.perf_counter() - begin) * 1000)
        cpu.append((time.process_time() - begin_cpu) * 1000)
        _checked(response, url)
    return {
        "p50_ms": round(percentile(samples, 0.50), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        # This process's CPU time per request (Python side only): steadier than wall time on a
        # shared machine, and what a faster page would have to cut.
        "cpu_p50_ms": round(percentile(cpu, 0.50), 2),
        "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
        "requests": requests,
        "queries": len(queries),
    }


def _checked(response: Any, url: str) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")


def measured_client() -> Client:
    """The bench's first client (its services cover every list status)."""
    client = Client.objects.filter(provider__name=PROVIDER_NAME).order_by("pk").first()
    assert client is not None
    return client


def measured_user() -> User:
    return Membership.objects.select_related("user").get(client=measured_client()).user


# --- filling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A tariff the bench sells, with its add-ons and what a service of it looks like."""

    tariff: TariffPlan
    period: str
    addons: dict[str, Addon]
    resources: dict[str, str]


def catalog(now: datetime) -> tuple[Provider, list[Offer]]:
    """The bench provider with the demo's catalog (created once)."""
    provider = Provider.objects.filter(name=PROVIDER_NAME).first()
    if provider is None:
        with transaction.atomic():
            provider = Provider.objects.create(name=PROVIDER_NAME, currency="USD", time_zone="Europe/Madrid")
            demo = Demo(now)
            demo.provider = provider
            build_catalog(demo)
    plans = {t.name: t for t in TariffPlan.objects.filter(product_type__provider=provider)}

    def offer(name: str, period: str, resources: dict[str, str] | None = None) -> Offer:
        plan = plans[name]
        return Offer(plan, period, {a.resource: a for a in plan.addons.all()}, resources or {})

    vps = {"ram": "2", "cpu": "2", "disk": "40", "ipv4": "1", "os": "debian-12"}
    return provider, [
        offer("VPS Start", "month", vps),
        offer("VPS Pro", "year", vps),
        offer("VPS Daily", "day", {"os": "ubuntu-24-04"}),
        offer("Hosting Basic", "month"),
        offer("Hosting Business", "year"),
        offer("Dedicated E3", "month"),
        offer(".com registration", "year"),
        offer("Basic SSL", "year"),
        offer("VDC Small", "month"),
        offer("ISPmanager Lite", "month"),
    ]


# Each client's ten services: status, suspension reason flags, running operation.
SHAPES: list[tuple[str, dict[str, bool], str]] = [
    (Status.ACTIVE, {}, ""),
    (Status.ACTIVE, {}, ""),
    (Status.ACTIVE, {}, ""),
    (Status.ACTIVE, {}, ""),
    (Status.ACTIVE, {}, Operation.REBOOT),
    (Status.SUSPENDED, {"suspended_by_client": True}, ""),
    (Status.SUSPENDED, {"suspended_by_admin": True}, ""),
    (Status.SUSPENDED, {"suspended_expired": True}, ""),
    (Status.ORDERED, {}, ""),
    (Status.DELETED, {}, ""),
]


def _chunks(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


# --- set-based writing -------------------------------------------------------------------------


class Rows:
    """Rows of one table written in one statement: COPY on PostgreSQL, one multi-row
    ``executemany`` elsewhere (SQLite in tests). Columns not given take the values of a model
    instance built once (``template``), so the models' defaults hold without an ORM object per row.
    """

    def __init__(self, template: Any, columns: list[str]) -> None:
        self.model = type(template)
        self.table = self.model._meta.db_table
        fields = {f.column: f for f in self.model._meta.concrete_fields}
        self.columns = columns
        # Per-row values need the database's form on SQLite (naive UTC datetimes, JSON text).
        self.prepare = [fields[c].get_db_prep_save for c in columns] if connection.vendor != "postgresql" else None
        self.fixed_columns = [c for c, f in fields.items() if c not in columns and c != "id"]
        self.fixed = [
            fields[c].get_db_prep_save(getattr(template, fields[c].attname), connection) for c in self.fixed_columns
        ]
        if connection.vendor == "postgresql":
            self.fixed = [json.dumps(v.obj) if type(v).__name__ == "Jsonb" else v for v in self.fixed]
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        self.rows.append(values)

    def write(self) -> None:
        if not self.rows:
            return
        names = [*self.columns, *self.fixed_columns]
        fixed = tuple(self.fixed)
        with connection.cursor() as cursor:
            if self.prepare is None:
                quoted = ", ".join(connection.ops.quote_name(n) for n in names)
                with cursor.cursor.copy(f"COPY {connection.ops.quote_name(self.table)} ({quoted}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row + fixed)
            else:
                quoted = ", ".join(connection.ops.quote_name(n) for n in names)
                marks = ", ".join(["%s"] * len(names))
                prepared = [
                    tuple(prep(v, connection) for prep, v in zip(self.prepare, row, strict=True)) + fixed
                    for row in self.rows
                ]
                # Table and column names from the model's own metadata, quoted.
                insert = f"INSERT INTO {connection.ops.quote_name(self.table)} ({quoted}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(insert, prepared)
        self.rows = []


def next_ids(model: Any, count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, taken from its identity sequence (the
    bench is the only writer of its provider, so on SQLite the next ones after the largest)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        last = cursor.fetchone()[0]
    return list(range(last + 1, last + 1 + count))


def fill(wanted: int, *, say: Callable[[str], None]) -> int:
    """Top the bench provider up to ``wanted`` services; returns how many were created."""
    now = timezone.now()
    provider, offers = catalog(now)
    have = Service.objects.filter(client__provider=provider).count()
    if have >= wanted:
        say(f"reusing {have} services of {PROVIDER_NAME}")
        return 0
    password = make_password("bench")
    first_client = Client.objects.filter(provider=provider).count()
    clients_needed = -(-(wanted - have) // SERVICES_PER_CLIENT)
    created = 0
    for chunk in _chunks(clients_needed, CLIENTS_PER_STEP):
        with transaction.atomic():
            created += _fill_clients(
                provider, offers, [first_client + i for i in chunk], wanted - have - created, password, now
            )
        say(f"  {have + created} / {wanted} services")
    return created


CLIENTS_PER_STEP = 5000  # clients (and their services) written per transaction


def _fill_clients(
    provider: Provider,
    offers: list[Offer],
    numbers: list[int],
    budget: int,
    password: str,
    now: datetime,
) -> int:
    count = len(numbers)
    user_ids, client_ids = next_ids(User, count), next_ids(Client, count)
    users = Rows(User(password=password), ["id", "username", "email"])
    clients = Rows(
        Client(provider=provider, balance_amount=Decimal("1000.00"), created_at=now), ["id", "name", "email"]
    )
    memberships = Rows(Membership(role=Membership.Role.OWNER, created_at=now), ["client_id", "user_id"])
    ledger = Rows(
        LedgerEntry(
            kind=EntryKind.PAYMENT,
            amount=Decimal("1000.00"),
            currency=provider.currency,
            balance_after=Decimal("1000.00"),
            **text_fields("description", Text("top_up", method="bank")),
            created_at=now - timedelta(days=365),
            created_by="bench",
        ),
        ["client_id", "key"],
    )
    services: list[tuple[dict[str, Any], Offer]] = []
    for number, user_id, client_id in zip(numbers, user_ids, client_ids, strict=True):
        email = f"bench{number}@bench.test"
        users.add(user_id, email, email)
        clients.add(client_id, f"Bench client {number}", email)
        memberships.add(client_id, user_id)
        # The cached balance equals the ledger, so `openbill audit` stays clean on a bench database.
        ledger.add(client_id, f"bench:{client_id}:topup")
        for slot in range(SERVICES_PER_CLIENT):
            if len(services) >= budget:
                break
            services.append(_service(client_id, number, slot, offers, provider, now))
    for rows in (users, clients, memberships, ledger):
        rows.write()
    _create_services(services)
    return len(services)


SERVICE_COLUMNS = [
    "id",
    "client_id",
    "tariff_id",
    "product_type_id",
    "name",
    "status",
    "operation",
    "period",
    "auto_renew",
    "created_at",
    "activated_at",
    "expires_at",
    "paid_at",
    "suspended_at",
    "deleted_at",
    "suspended_by_client",
    "suspended_by_admin",
    "suspended_expired",
]


def _service(
    client_id: int, number: int, slot: int, offers: list[Offer], provider: Provider, now: datetime
) -> tuple[dict[str, Any], Offer]:
    """The ``slot``-th service of a client, in the status its slot gives it (SHAPES)."""
    tz = provider.tz
    status, reasons, operation = SHAPES[slot % len(SHAPES)]
    offer = offers[(number + slot) % len(offers)]
    running = status in (Status.ACTIVE, Status.SUSPENDED, Status.DELETED)
    activated = now - timedelta(days=(number * 7 + slot * 13) % 300 + 1) if running else None
    expires = add_period(activated, offer.period, tz) if activated else None
    if status == Status.ACTIVE and expires is not None and expires <= now:
        expires = add_period(now, offer.period, tz)
    service = {
        "client_id": client_id,
        "tariff_id": offer.tariff.pk,
        "product_type_id": offer.tariff.product_type_id,
        "name": f"{offer.tariff.name} #{number}-{slot}",
        "status": str(status),
        "operation": str(operation),
        "period": offer.period,
        "auto_renew": slot % 3 != 0,
        "created_at": (activated or now) - timedelta(hours=1),
        "activated_at": activated,
        "expires_at": expires,
        "paid_at": activated,
        "suspended_at": now - timedelta(days=slot % len(SHAPES)) if status == Status.SUSPENDED else None,
        "deleted_at": now - timedelta(days=1) if status == Status.DELETED else None,
        "suspended_by_client": reasons.get("suspended_by_client", False),
        "suspended_by_admin": reasons.get("suspended_by_admin", False),
        "suspended_expired": reasons.get("suspended_expired", False),
    }
    return service, offer


def _create_services(services: list[tuple[dict[str, Any], Offer]]) -> None:
    """Insert the services with their add-on lines and their first History rows."""
    rows = Rows(Service(), SERVICE_COLUMNS)
    addons = Rows(ServiceAddon(), ["service_id", "addon_id", "quantity", "enum_item_id"])
    events = Rows(
        ServiceEvent(actor_label="bench"), ["service_id", "at", "actor_kind", "kind", "from_status", "to_status"]
    )
    items: dict[tuple[int, str], int] = {}
    for (service, offer), pk in zip(services, next_ids(Service, len(services)), strict=True):
        rows.add(pk, *(service[c] for c in SERVICE_COLUMNS[1:]))
        for resource, value in offer.resources.items():
            addon = offer.addons[resource]
            if addon.value_type == ValueType.ENUM:
                key = (addon.pk, value)
                if key not in items:
                    items[key] = addon.items.get(code=value).pk
                addons.add(pk, addon.pk, Decimal(1), items[key])
            else:
                addons.add(pk, addon.pk, Decimal(value), None)
        events.add(pk, service["created_at"], "client", "ordered", "", str(Status.ORDERED))
        if service["activated_at"] is not None:
            events.add(pk, service["activated_at"], "system", "status", str(Status.ORDERED), str(Status.ACTIVE))
    for table in (rows, addons, events):
        table.write()


def enlarge_measured_client(count: int, *, say: Callable[[str], None]) -> int:
    """Give the measured client ``count`` services in all (a reseller-sized account)."""
    now = timezone.now()
    provider, offers = catalog(now)
    client = Client.objects.filter(provider=provider).order_by("pk").first()
    assert client is not None
    have = Service.objects.filter(client=client).count()
    if have >= count:
        return 0
    rows = [_service(client.pk, 0, slot, offers, provider, now) for slot in range(have, count)]
    for start in range(0, len(rows), BATCH * 10):
        with transaction.atomic():
            _create_services(rows[start : start + BATCH * 10])
    say(f"the measured client has {count} services")
    return len(rows)
