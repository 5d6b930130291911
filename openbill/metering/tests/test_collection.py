"""Module collection through the ``statistics`` capability: counters become usage records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.models import UsageRecord
from openbill.provisioning.models import ProcessingModule
from openbill.provisioning.modules import REGISTRY, Module, ModuleError, UsageSample
from openbill.provisioning.modules.base import ServiceSpec

from .factories import traffic

GIB = 1024**3
T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


class MeterModule(Module):
    """A module whose machines' byte counters are whatever the test sets."""

    name = "test-meter"
    capabilities = frozenset({"statistics"})
    counters: ClassVar[dict[str, dict[str, int]]] = {}
    failing: ClassVar[set[str]] = set()

    def statistics(self, spec: ServiceSpec, since: datetime, until: datetime) -> list[UsageSample]:
        if spec.remote_id in self.failing:
            raise ModuleError("host unreachable", retryable=True)
        values = self.counters.get(spec.remote_id, {})
        return [
            UsageSample(metric, Decimal(value), "bytes", since, until, cumulative=True)
            for metric, value in values.items()
        ] + [UsageSample("cpu_time", Decimal(5), "seconds", since, until, cumulative=True)]


@pytest.fixture
def meter_module(provider: Any) -> Iterator[ProcessingModule]:
    REGISTRY[MeterModule.name] = MeterModule
    MeterModule.counters = {}
    MeterModule.failing = set()
    yield ProcessingModule.objects.create(name="meter", kind=MeterModule.name, provider=provider)
    REGISTRY.pop(MeterModule.name, None)


def test_counters_become_usage_between_readings(provider, vps_plan, alice, meter_module):
    traffic(vps_plan)
    server = f.service(alice, vps_plan, module=meter_module, remote_id="vm-1")
    MeterModule.counters["vm-1"] = {"rx_bytes": 10 * GIB, "tx_bytes": 1 * GIB}

    actions.collect_from_modules(now=T0)  # the first reading is the baseline
    assert UsageRecord.objects.count() == 0

    MeterModule.counters["vm-1"] = {"rx_bytes": 1010 * GIB, "tx_bytes": 101 * GIB}
    counts = actions.collect_from_modules(now=T0 + timedelta(hours=1))
    assert counts["records"] == 2 and counts["rejected"] == 0  # cpu_time is not measured by this tariff

    # the machine restarted: its counters start again from zero
    MeterModule.counters["vm-1"] = {"rx_bytes": 5 * GIB, "tx_bytes": 0}
    actions.collect_from_modules(now=T0 + timedelta(hours=2))

    usage = sorted(UsageRecord.objects.values_list("resource", "at", "quantity", "source"))
    assert usage == [
        ("rx_bytes", T0, Decimal(1000 * GIB), "module"),
        ("rx_bytes", T0 + timedelta(hours=1), Decimal(5 * GIB), "module"),
        ("tx_bytes", T0, Decimal(100 * GIB), "module"),
    ]
    actions.meter(now=T0 + timedelta(hours=2), collect=False)
    assert server.overage_ratings.get().cost_amount == Decimal("1.05")


def test_collecting_twice_at_the_same_moment_records_nothing_twice(provider, vps_plan, alice, meter_module):
    traffic(vps_plan)
    f.service(alice, vps_plan, module=meter_module, remote_id="vm-1")
    MeterModule.counters["vm-1"] = {"rx_bytes": 0}
    actions.collect_from_modules(now=T0)
    MeterModule.counters["vm-1"] = {"rx_bytes": 3 * GIB}
    actions.collect_from_modules(now=T0 + timedelta(hours=1))
    actions.collect_from_modules(now=T0 + timedelta(hours=1))
    assert list(UsageRecord.objects.values_list("quantity", flat=True)) == [Decimal(3 * GIB)]


def test_an_unreachable_machine_keeps_its_cursor_and_is_counted_later(provider, vps_plan, alice, meter_module):
    traffic(vps_plan)
    f.service(alice, vps_plan, module=meter_module, remote_id="vm-1")
    f.service(alice, vps_plan, module=meter_module, remote_id="vm-2")
    MeterModule.counters = {"vm-1": {"rx_bytes": 0}, "vm-2": {"rx_bytes": 0}}
    actions.collect_from_modules(now=T0)

    MeterModule.counters = {"vm-1": {"rx_bytes": 1 * GIB}, "vm-2": {"rx_bytes": 2 * GIB}}
    MeterModule.failing = {"vm-2"}
    counts = actions.collect_from_modules(now=T0 + timedelta(hours=1))
    assert (counts["records"], counts["errors"]) == (1, 1)

    MeterModule.failing = set()
    MeterModule.counters["vm-2"] = {"rx_bytes": 4 * GIB}
    actions.collect_from_modules(now=T0 + timedelta(hours=2))
    assert sorted(UsageRecord.objects.values_list("record_id", "quantity")) == sorted(
        [
            (f"module:{s}:rx_bytes:{T0.isoformat()}", Decimal(q * GIB))
            for s, q in ((alice.services.get(remote_id="vm-1").pk, 1), (alice.services.get(remote_id="vm-2").pk, 4))
        ]
    )
