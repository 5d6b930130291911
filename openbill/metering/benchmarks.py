"""``openbill bench usage --services S --records N [--senders 1,2] [--json]``: usage ingestion and
rating at scale, on PostgreSQL.

Fills S active services under a provider of its own ("Bench Usage"; a second run tops the
services up to S instead of refilling) set-based: one ``INSERT … SELECT … generate_series`` for
the clients and one for the services, then ANALYZE. Then:

1. ingests N usage records through the API (``POST /api/v1/usage/`` in-process through Django's
   test client with a provider token, batches of 5,000) once per count in ``--senders``: one
   sender posts its batches one after another; two post at once from two threads, each with its
   own connection (the web process's Python is shared, the database works on both cores) →
   ``ingestion["1"|"2"]["records_per_s"]``;
2. collects usage through the module path (a bench module with the ``statistics`` capability,
   for ``--module-services`` services) → ``module_records_per_s``;
3. rates every service's current reporting period set-based → ``rating_seconds``;
4. settles the services over their included amounts (charges, one transaction each) →
   ``settle_seconds``.

Half the services have traffic billed per calendar month (rx + tx summed), half CPU time billed
per day; about 1 % go over their included amount. Run it on a scratch database: it adds data.
Targets on PostgreSQL (2 cores): ≥ 25,000 records/s ingested by one sender and ≥ 40,000/s by
two; rating 100,000 services' current period in < 5 s; ``--services 1000000`` done, fill
included, in under 30 minutes.
"""

from __future__ import annotations

import json
import time
import uuid
from argparse import ArgumentParser
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any, ClassVar

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.catalog.models import Addon, BillingType, ProductKind, ProductType, StatisticsPeriod, TariffPlan
from openbill.clients.models import Client, Provider
from openbill.core.bulk import insert_series
from openbill.core.timeutil import local_date, start_of_local_day
from openbill.provisioning.models import ProcessingModule
from openbill.provisioning.modules import REGISTRY, Module, UsageSample
from openbill.provisioning.modules.base import ServiceSpec
from openbill.services.choices import Status
from openbill.services.models import Service

from . import actions
from .models import ProviderToken

PROVIDER_NAME = "Bench Usage"
SERVICES_PER_CLIENT = 10
BATCH = 5000
GIB = 1024**3


class BenchModule(Module):
    """Reports a minute of traffic for every machine (the module path of the bench)."""

    name = "bench-meter"
    capabilities: ClassVar[frozenset[str]] = frozenset({"statistics"})

    def statistics(self, spec: ServiceSpec, since: datetime, until: datetime) -> list[UsageSample]:
        start = until.replace(second=0, microsecond=0) - timedelta(minutes=1)
        return [
            UsageSample("rx_bytes", Decimal(3 * GIB), "bytes", start, start + timedelta(minutes=1)),
            UsageSample("tx_bytes", Decimal(GIB), "bytes", start, start + timedelta(minutes=1)),
        ]


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--senders",
        default="1,2",
        help="Clients posting batches at once, one measurement per count (default 1,2: one, then one per core).",
    )
    parser.add_argument("--services", type=int, default=10000, help="Active services (S).")
    parser.add_argument("--records", type=int, default=100000, help="Usage records to ingest through the API (N).")
    parser.add_argument(
        "--module-services", type=int, default=None, help="Services collected through the module path (default S/10)."
    )


def _catalog(provider: Provider) -> tuple[TariffPlan, TariffPlan]:
    ptype, _ = ProductType.objects.get_or_create(
        provider=provider, kind=ProductKind.VIRTUAL_SERVER, defaults={"name": "Bench servers"}
    )
    monthly, created = TariffPlan.objects.get_or_create(product_type=ptype, name="Bench traffic")
    if created:
        Addon.objects.create(
            tariff=monthly,
            resource="traffic",
            name="Traffic",
            unit="GiB",
            billing_type=BillingType.STATISTICS,
            included=Decimal(1000),
            overage_price=Decimal("0.01"),
            metrics=["rx_bytes", "tx_bytes"],
        )
    daily, created = TariffPlan.objects.get_or_create(product_type=ptype, name="Bench CPU")
    if created:
        Addon.objects.create(
            tariff=daily,
            resource="cpu",
            name="CPU time",
            unit="hours",
            billing_type=BillingType.STATISTICS,
            statistics_period=StatisticsPeriod.DAY,
            included=Decimal(24),
            overage_price=Decimal("0.05"),
            metrics=["cpu_time"],
        )
    return monthly, daily


def _fill(
    provider: Provider, monthly: TariffPlan, daily: TariffPlan, wanted: int, now: datetime
) -> list[tuple[int, int]]:
    """Top the provider up to ``wanted`` services, set-based: one INSERT … SELECT over
    generate_series for the clients and one for their services, then ANALYZE."""
    have = Service.objects.filter(client__provider=provider).count()
    missing = max(wanted - have, 0)
    if missing:
        clients_needed = -(-missing // SERVICES_PER_CLIENT)
        start = Client.objects.filter(provider=provider).count()
        last_client = Client.objects.filter(provider=provider).order_by("-pk").values_list("pk", flat=True).first()
        with transaction.atomic():
            insert_series(
                Client,
                Client(provider=provider, name="Bench", email="bench@usage.test"),
                varying={"name": "'Bench ' || (g + %s)", "email": "'bench' || (g + %s) || '@usage.test'"},
                source="generate_series(0, %s - 1) g",
                params=[start, start, clients_needed],
            )
            # Service n (counted from ``have``) belongs to the n // 10th new client; even ones meter
            # traffic by month, odd ones CPU time by day.
            n = f"((c.rn - 1) * {SERVICES_PER_CLIENT} + k + {have})"
            monthly_row = f"{n} %% 2 = 0"
            insert_series(
                Service,
                Service(
                    client_id=0,
                    tariff=monthly,
                    product_type_id=monthly.product_type_id,
                    name=monthly.name,
                    status=Status.ACTIVE,
                    created_at=now,
                    activated_at=now - timedelta(days=1),
                    expires_at=now + timedelta(days=30),
                ),
                varying={
                    "client_id": "c.id",
                    "tariff_id": f"CASE WHEN {monthly_row} THEN %s ELSE %s END",
                    "name": f"CASE WHEN {monthly_row} THEN %s ELSE %s END",
                    "remote_id": f"'bench-' || {n}",
                },
                source=(
                    f"(SELECT id, row_number() OVER (ORDER BY id) AS rn FROM {Client._meta.db_table} "  # noqa: S608 - names are ours
                    "WHERE provider_id = %s AND id > %s) c "
                    f"CROSS JOIN generate_series(0, {SERVICES_PER_CLIENT - 1}) k "
                    f"WHERE (c.rn - 1) * {SERVICES_PER_CLIENT} + k < %s"
                ),
                params=[monthly.pk, daily.pk, monthly.name, daily.name, provider.pk, last_client or 0, missing],
            )
        with connection.cursor() as cursor:  # the planner sees the new rows, as autovacuum would soon
            cursor.execute(f"ANALYZE {Client._meta.db_table}, {Service._meta.db_table}")
    return list(
        Service.objects.filter(client__provider=provider).order_by("pk").values_list("pk", "tariff_id")[:wanted]
    )


def _records(
    services: list[tuple[int, int]], count: int, monthly_id: int, now: datetime, tz: Any
) -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:8]
    month_start = start_of_local_day(now.astimezone(tz).replace(day=1), tz)
    hours = max(int((now - month_start).total_seconds() // 3600), 1)
    records = []
    for i in range(count):
        service_id, tariff_id = services[i % len(services)]
        at = month_start + timedelta(hours=(i * 7919) % hours)
        heavy = service_id % 100 == 0  # ~1 % of services go over their included amount
        if tariff_id == monthly_id:
            resource, quantity, unit = ("rx_bytes" if i % 2 else "tx_bytes"), str(1500 if heavy else 7), "GiB"
        else:
            # daily add-ons: their days stay open for the late days only
            at = now - timedelta(hours=1 + (i * 7919) % (24 * actions.late_days()))
            resource, quantity, unit = "cpu_time", str(100000 if heavy else 600), "s"
        records.append(
            {
                "id": f"{run}:{i}",
                "service": service_id,
                "resource": resource,
                "at": at.isoformat(),
                "quantity": quantity,
                "unit": unit,
            }
        )
    return records


def _sender_counts(value: Any) -> list[int]:
    """``--senders``: "1,2" (the default) measures one sender, then two."""
    counts = [int(part) for part in str(value or "1,2").split(",") if part.strip()]
    return [max(1, n) for n in counts] or [1]


def _ingest(raw: str, records: list[dict[str, Any]], senders: int) -> dict[str, Any]:
    """POST the records in batches from ``senders`` clients at once; wall and CPU time."""
    bodies = [json.dumps({"records": records[i : i + BATCH]}) for i in range(0, len(records), BATCH)]

    def send(share: list[str]) -> tuple[int, int]:
        # One sender = one client connection, as a meter posting its batches one after another;
        # several senders post at once, as several meters (or a meter's parallel uploads) do.
        sender = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="localhost")
        ok = bad = 0
        try:
            for body in share:
                response = sender.post("/api/v1/usage/", body, content_type="application/json")
                if response.status_code != 200:
                    raise RuntimeError(f"ingestion answered {response.status_code}: {response.content[:300]!r}")
                data = response.json()
                ok += data["accepted"]
                bad += len(data["rejected"])
        finally:
            if senders > 1:
                connection.close()
        return ok, bad

    accepted = rejected = 0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if senders == 1:
        accepted, rejected = send(bodies)
    else:
        with ThreadPoolExecutor(max_workers=senders) as pool:
            for ok, bad in pool.map(send, [bodies[i::senders] for i in range(senders)]):
                accepted += ok
                rejected += bad
    seconds = time.perf_counter() - t0
    return {
        "accepted": accepted,
        "rejected": rejected,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(time.process_time() - cpu0, 3),
        "records_per_s": round(accepted / seconds, 1) if seconds else 0.0,
    }


def run(options: dict[str, Any], stdout: IO[str]) -> dict[str, Any]:
    quiet = options.get("json", False)

    def say(text: str) -> None:
        if not quiet:
            stdout.write(text)

    if connection.vendor != "postgresql":
        raise CommandError("openbill bench usage runs on PostgreSQL (DATABASE_URL=postgres://…).")
    wanted = options["services"]
    count = options["records"]
    now = timezone.now()
    provider, _ = Provider.objects.get_or_create(name=PROVIDER_NAME, defaults={"currency": "USD"})
    monthly, daily = _catalog(provider)
    t0 = time.perf_counter()
    services = _fill(provider, monthly, daily, wanted, now)
    say(f"services: {len(services)} (filled in {time.perf_counter() - t0:.1f} s)")

    # 1. the ingestion API, once per number of senders, each time with records of its own
    _token, raw = ProviderToken.issue(provider, f"bench {now:%Y-%m-%d %H:%M:%S}")
    ingestion = {}
    accepted = rejected = 0
    for senders in _sender_counts(options.get("senders")):
        records = _records(services, count, monthly.pk, now, provider.tz)
        result = _ingest(raw, records, senders)
        ingestion[str(senders)] = result
        accepted += result["accepted"]
        rejected += result["rejected"]
        say(
            f"API, {senders} sender(s): {result['accepted']} records accepted, {result['rejected']} rejected "
            f"in {result['seconds']:.2f} s ({result['records_per_s']:.0f}/s; "
            f"{result['cpu_seconds']:.2f} s of this process's CPU)"
        )

    # 2. the module path
    module_services = options.get("module_services")
    module_services = len(services) // 10 if module_services is None else min(module_services, len(services))
    REGISTRY[BenchModule.name] = BenchModule
    instance, _ = ProcessingModule.objects.get_or_create(
        provider=provider, kind=BenchModule.name, defaults={"name": "Bench meter"}
    )
    monthly_ids = [pk for pk, tariff_id in services if tariff_id == monthly.pk][:module_services]
    Service.objects.filter(pk__in=monthly_ids).update(module=instance)
    t0 = time.perf_counter()
    collected = actions.collect_from_modules(now=now, provider=provider)
    module_seconds = time.perf_counter() - t0
    say(f"module path: {collected['records']} records from {collected['services']} services in {module_seconds:.2f} s")

    # 3. rating, set-based
    t0 = time.perf_counter()
    rated = actions.rate_provider(provider, now=now)
    rating_seconds = time.perf_counter() - t0
    say(
        f"rating: {rated.ratings} ratings ({rated.written} written) of {len(services)} services in {rating_seconds:.2f} s"
    )

    # 4. settlement of what is due
    t0 = time.perf_counter()
    settled = 0
    for service_id in sorted(rated.services):
        actions.settle_service(service_id, now=now)
        settled += 1
    settle_seconds = time.perf_counter() - t0
    say(f"settled: {settled} services in {settle_seconds:.2f} s")
    local_today = local_date(now, provider.tz)
    return {
        "services": len(services),
        "records": count,
        "accepted": accepted,
        "rejected": rejected,
        "ingestion": ingestion,
        "module_services": collected["services"],
        "module_records": collected["records"],
        "module_records_per_s": round(collected["records"] / module_seconds, 1) if module_seconds else None,
        "ratings": rated.ratings,
        "rating_seconds": round(rating_seconds, 3),
        "settled_services": settled,
        "settle_seconds": round(settle_seconds, 3),
        "month": f"{local_today:%Y-%m}",
    }
