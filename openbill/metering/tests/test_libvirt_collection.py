"""Collection through the real libvirt module (libvirt's test driver): the statistics
capability's cumulative counters become usage records of the service."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.models import CollectionCursor, UsageRecord
from openbill.provisioning.models import ProcessingModule
from openbill.provisioning.modules import ServiceSpec, get_module, libvirt_vm

from .factories import traffic

NODE_XML = """<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>1</threads>
       <active>8</active><mhz>2000</mhz><model>x86_64</model></cpu>
  <memory>16777216</memory>
</node>"""


@pytest.fixture
def node(tmp_path: Path) -> Any:
    path = tmp_path / "node.xml"
    path.write_text(NODE_XML)
    yield f"test://{path}"
    libvirt_vm.forget_connections()


def test_libvirt_counters_become_traffic_and_cpu_usage(node, provider, vps_plan, alice):
    traffic(vps_plan, unit="bytes", included=Decimal(0), overage_price=Decimal(0))
    f.addon(vps_plan, "cpu_time", name="CPU time", unit="hours", billing_type="statistics", metrics=["cpu_time"])
    host = ProcessingModule.objects.create(name="Host", kind="libvirt", provider=provider, config={"uri": node})
    server = f.service(alice, vps_plan, module=host)
    result = get_module("libvirt").open(
        ServiceSpec(
            service_id=server.pk,
            name=server.name,
            remote_id="",
            period="month",
            parameters={"hostname": "web.alice.test"},
            resources={"ram": "1", "cpu": "1", "disk": "20"},
            idempotency_key="open",
            config={"uri": node},
        )
    )
    server.remote_id = result["remote_id"]
    server.save(update_fields=["remote_id"])
    start = timezone.now() - timedelta(hours=2)

    actions.collect_from_modules(now=start)  # the baseline
    time.sleep(1.1)  # the test driver's counters follow the wall clock
    actions.collect_from_modules(now=start + timedelta(hours=1))

    cursors = dict(CollectionCursor.objects.filter(service=server).values_list("metric", "collected_through"))
    assert cursors == {m: start + timedelta(hours=1) for m in ("rx_bytes", "tx_bytes", "cpu_time")}
    records = {r.resource: r for r in UsageRecord.objects.filter(service=server)}
    assert "rx_bytes" in records
    assert records["rx_bytes"].record_id == f"module:{server.pk}:rx_bytes:{start.isoformat()}"
    assert all(r.source == "module" and r.quantity > 0 and r.at == start for r in records.values())
