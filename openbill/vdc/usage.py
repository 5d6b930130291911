"""Machines' usage counts towards their data center's statistics, through the usual metering.

For every live VDC whose tariff has statistics add-ons, each machine's libvirt counters (CPU
time, bytes in and out: ``LibvirtModule.statistics``) are read, turned into usage since the
machine's previous reading (``usage_between``: a restarted machine's counter starts again), and
ingested as usage records of the VDC, one per machine, metric and interval (ids
``vdc:<machine>:<metric>:<start>``). Remote reads happen outside any transaction; the records
and the machines' new readings are written in one transaction, so a crash in between counts the
same interval again, never twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from openbill.catalog.models import ProductKind
from openbill.clients.models import Provider
from openbill.metering.actions import LIVE, ingest, metric_units, statistics_addons
from openbill.metering.models import Source
from openbill.provisioning.modules.base import ModuleError, usage_between
from openbill.provisioning.modules.libvirt_vm import LibvirtModule
from openbill.services.models import Service

from .models import Machine, MachineCounter, MachineStatus
from .runner import machine_spec

log = logging.getLogger(__name__)


def collect(*, now: datetime, provider: Provider | None = None) -> dict[str, int]:
    counts = {"machines": 0, "records": 0, "errors": 0}
    providers = [provider] if provider is not None else list(Provider.objects.all())
    module = LibvirtModule()
    for prov in providers:
        measured = metric_units(statistics_addons(prov))
        vdcs = (
            Service.objects.filter(
                client__provider=prov,
                product_type__kind=ProductKind.VIRTUAL_DATA_CENTER,
                status__in=LIVE,
                tariff_id__in=list(measured),
                module__isnull=False,
            )
            .select_related("module")
            .order_by("pk")
        )
        for vdc in vdcs:
            known = measured.get(vdc.tariff_id, {})
            machines = list(
                Machine.objects.filter(service=vdc, status__in=[MachineStatus.RUNNING, MachineStatus.STOPPED])
                .exclude(remote_id="")
                .select_related("template")
            )
            cursors = {
                (c.machine_id, c.metric): c for c in MachineCounter.objects.filter(machine__in=[m.pk for m in machines])
            }
            records: list[dict[str, Any]] = []
            readings: list[MachineCounter] = []
            for machine in machines:
                previous_times = [c.collected_through for (mid, _m), c in cursors.items() if mid == machine.pk]
                since = min(previous_times, default=now - timedelta(hours=1))
                try:
                    samples = module.statistics(machine_spec(machine, vdc), since, now)
                except ModuleError as exc:
                    counts["errors"] += 1
                    log.warning("statistics of machine %s failed: %s", machine.pk, exc)
                    continue
                counts["machines"] += 1
                for sample in samples:
                    if sample.metric not in known or not sample.cumulative:
                        continue
                    quantity = Decimal(sample.quantity)
                    previous = cursors.get((machine.pk, sample.metric))
                    used = usage_between(previous.reading if previous else None, quantity)
                    start = previous.collected_through if previous else sample.start
                    readings.append(
                        MachineCounter(
                            machine=machine, metric=sample.metric, reading=quantity, collected_through=sample.end
                        )
                    )
                    if used:
                        records.append(
                            {
                                "id": f"vdc:{machine.pk}:{sample.metric}:{start.isoformat()}",
                                "service": vdc.pk,
                                "resource": sample.metric,
                                "at": start,
                                "quantity": used,
                                "unit": sample.unit,
                            }
                        )
            with transaction.atomic():
                if records:
                    counts["records"] += ingest(prov, records, now=now, source=Source.MODULE).accepted
                MachineCounter.objects.bulk_create(
                    readings,
                    update_conflicts=True,
                    unique_fields=["machine", "metric"],
                    update_fields=["reading", "collected_through"],
                )
    return counts
