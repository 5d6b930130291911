"""Machines' libvirt counters count towards their data center's statistics: one usage record
of the VDC per machine, metric and interval, through the usual metering ingestion."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.metering.models import UsageRecord
from openbill.vdc import actions, usage
from openbill.vdc.models import Machine, MachineCounter

from .test_machines import run_machines


def test_each_machines_traffic_is_usage_of_its_vdc(alice_vdc: Any, vdc_plan: Any, debian: Any) -> None:
    f.addon(vdc_plan, "traffic", name="Traffic in", unit="bytes", billing_type="statistics", metrics=["rx_bytes"])
    for name in ("a", "b"):
        actions.create_machine(
            alice_vdc, name=name, template=debian, cpu=1, ram=1, disk=10, actor=Actor.system("t"), now=timezone.now()
        )
    run_machines()
    start = timezone.now() - timedelta(hours=2)

    assert usage.collect(now=start) == {"machines": 2, "records": 0, "errors": 0}  # the baselines
    time.sleep(1.1)  # the test driver's counters follow the wall clock
    counts = usage.collect(now=start + timedelta(hours=1))

    machines = list(Machine.objects.filter(service=alice_vdc).order_by("pk"))
    records = list(UsageRecord.objects.filter(service=alice_vdc).order_by("record_id"))
    assert counts == {"machines": 2, "records": 2, "errors": 0}
    # One record per machine (compared as sets: record ids sort as text, "vdc:100" before "vdc:99").
    assert {r.record_id for r in records} == {f"vdc:{m.pk}:rx_bytes:{start.isoformat()}" for m in machines}
    assert len(records) == len(machines)
    assert all(r.resource == "rx_bytes" and r.quantity > 0 and r.source == "module" for r in records)
    assert set(MachineCounter.objects.values_list("collected_through", flat=True)) == {start + timedelta(hours=1)}


def test_a_vdc_without_statistics_add_ons_is_not_read(alice_vdc: Any, debian: Any) -> None:
    actions.create_machine(
        alice_vdc, name="a", template=debian, cpu=1, ram=1, disk=10, actor=Actor.system("t"), now=timezone.now()
    )
    run_machines()

    assert usage.collect(now=timezone.now()) == {"machines": 0, "records": 0, "errors": 0}
