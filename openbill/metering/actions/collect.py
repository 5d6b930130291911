"""Collection: read usage from the modules with the ``statistics`` capability and ingest it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from openbill.clients.models import Provider
from openbill.core.crypto import decrypt_json
from openbill.provisioning.models import ProcessingModule
from openbill.provisioning.modules import ModuleError, get_module
from openbill.provisioning.modules.base import ServiceSpec, usage_between
from openbill.services.models import Service

from ..models import CollectionCursor, Source
from .common import LIVE, MAX_BATCH, log, metric_units, statistics_addons
from .ingest import ingest


def collect_from_modules(*, now: datetime, provider: Provider | None = None, chunk: int = 500) -> dict[str, int]:
    """Ask every module with the ``statistics`` capability for its services' usage since the
    last collection and store it as usage records with derived ids (service, metric, bucket).

    Remote calls happen outside any transaction. The records of a chunk of services and their
    new cursors (the last reading of each cumulative counter) are then written in one
    transaction, so a crash in between leaves the cursors where they were and the next run
    counts the same interval again, never twice.
    """
    counts = {"services": 0, "records": 0, "rejected": 0, "errors": 0}
    modules = ProcessingModule.objects.filter(enabled=True).select_related("provider")
    if provider is not None:
        modules = modules.filter(provider=provider)
    for instance in modules:
        try:
            module = get_module(instance.kind)
        except ModuleError:
            continue
        if "statistics" not in module.capabilities:
            continue
        secrets = decrypt_json(instance.secrets_encrypted) if instance.secrets_encrypted else {}
        measured = metric_units(statistics_addons(instance.provider))
        services = list(
            Service.objects.filter(module=instance, status__in=LIVE, tariff_id__in=list(measured))
            .exclude(remote_id="")
            .order_by("pk")
            .prefetch_related("addons__addon", "addons__enum_item")
        )
        for offset in range(0, len(services), chunk):
            part = services[offset : offset + chunk]
            cursors: dict[tuple[int, str], CollectionCursor] = {
                (c.service_id, c.metric): c
                for c in CollectionCursor.objects.filter(service_id__in=[s.pk for s in part])
            }
            earliest: dict[int, datetime] = {}
            for (sid, _metric), cursor in cursors.items():
                earliest[sid] = min(earliest.get(sid, cursor.collected_through), cursor.collected_through)
            records: list[dict[str, Any]] = []
            new_cursors: dict[tuple[int, str], CollectionCursor] = {}
            for service in part:
                known = measured.get(service.tariff_id, {})
                since = earliest.get(service.pk, now - timedelta(hours=1))
                spec = ServiceSpec.of(
                    service,
                    instance,
                    idempotency_key=f"statistics:{service.pk}:{now.isoformat()}",
                    resources={
                        line.addon.resource: (line.enum_item.code if line.enum_item else line.quantity)
                        for line in service.addons.all()
                    },
                    secrets=secrets,
                )
                try:
                    samples = module.statistics(spec, since, now)
                except ModuleError as exc:
                    counts["errors"] += 1
                    log.warning("statistics of service %s failed: %s", service.pk, exc)
                    continue
                counts["services"] += 1
                for sample in samples:
                    if sample.metric not in known:
                        continue
                    quantity = Decimal(sample.quantity)
                    previous = cursors.get((service.pk, sample.metric))
                    if sample.cumulative:
                        used = usage_between(previous.reading if previous else None, quantity)
                        start = previous.collected_through if previous else sample.start
                        reading: Decimal | None = quantity
                    else:
                        used, start, reading = quantity, sample.start, None
                    new_cursors[(service.pk, sample.metric)] = CollectionCursor(
                        service_id=service.pk, metric=sample.metric, reading=reading, collected_through=sample.end
                    )
                    if used == 0 and sample.cumulative:
                        continue  # a baseline, or an idle counter: nothing to record
                    records.append(
                        {
                            "id": f"module:{service.pk}:{sample.metric}:{start.isoformat()}",
                            "service": service.pk,
                            "resource": sample.metric,
                            "at": start,
                            "quantity": used,
                            "unit": sample.unit,
                        }
                    )
            with transaction.atomic():
                for batch in range(0, len(records), MAX_BATCH):
                    outcome = ingest(
                        instance.provider, records[batch : batch + MAX_BATCH], now=now, source=Source.MODULE
                    )
                    counts["records"] += outcome.accepted
                    counts["rejected"] += len(outcome.rejected)
                CollectionCursor.objects.bulk_create(
                    list(new_cursors.values()),
                    update_conflicts=True,
                    unique_fields=["service", "metric"],
                    update_fields=["reading", "collected_through"],
                    batch_size=2000,
                )
    return counts
