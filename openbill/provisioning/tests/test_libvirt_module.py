"""The libvirt module against libvirt's real test driver (test:///<node.xml>, one fresh node
per test). No mocks: the machines exist in the driver for the length of the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import libvirt
import pytest

from openbill.provisioning.modules import ModuleError, ServiceSpec, get_module, usage_between
from openbill.provisioning.modules.libvirt_vm import connect, forget_connections

NODE_XML = """<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>1</threads>
       <active>8</active><mhz>2000</mhz><model>x86_64</model></cpu>
  <memory>16777216</memory>
</node>"""


@pytest.fixture
def node(tmp_path: Path) -> Any:
    path = tmp_path / "node.xml"
    path.write_text(NODE_XML)
    uri = f"test://{path}"
    yield uri
    forget_connections()


def spec(uri: str, service_id: int = 7, **resources: Any) -> ServiceSpec:
    return ServiceSpec(
        service_id=service_id,
        name="Web server",
        remote_id="",
        period="month",
        parameters={"hostname": "web.alice.test"},
        resources={"ram": "2", "cpu": "2", "disk": "40", **resources},
        idempotency_key="k",
        config={"uri": uri},
    )


def machine(uri: str, service_id: int = 7) -> libvirt.virDomain:
    return connect(uri).lookupByName(f"openbill-{service_id}")


def test_open_defines_and_starts_a_machine_sized_from_the_tariff_and_add_ons(node: str) -> None:
    result = get_module("libvirt").open(spec(node, ram="4", cpu="3"))

    dom = machine(node)
    assert result["remote_id"] == "openbill-7"
    assert dom.isActive()
    state, max_kib, _mem, cpus, _cpu = dom.info()
    assert (max_kib, cpus) == (4 * 1024 * 1024, 3)


def test_open_twice_finds_the_same_machine(node: str) -> None:
    module = get_module("libvirt")
    first = module.open(spec(node))
    second = module.open(spec(node))

    assert first["uuid"] == second["uuid"]
    assert [d.name() for d in connect(node).listAllDomains()] == ["openbill-7"]


def test_suspend_pauses_resume_runs_reboot_keeps_it_running(node: str) -> None:
    module = get_module("libvirt")
    module.open(spec(node))

    module.suspend(spec(node))
    assert machine(node).state()[0] == libvirt.VIR_DOMAIN_PAUSED
    module.resume(spec(node))
    assert machine(node).state()[0] == libvirt.VIR_DOMAIN_RUNNING
    module.reboot(spec(node))
    assert machine(node).state()[0] == libvirt.VIR_DOMAIN_RUNNING


def test_change_of_resources_resizes_the_machine(node: str) -> None:
    module = get_module("libvirt")
    module.open(spec(node))

    result = module.set_params(spec(node, ram="8", cpu="4"))

    assert result["ram_kib"] == 8 * 1024 * 1024
    state, max_kib, _mem, cpus, _cpu = machine(node).info()
    assert (max_kib, cpus, state) == (8 * 1024 * 1024, 4, libvirt.VIR_DOMAIN_RUNNING)


def test_close_removes_the_machine_and_is_harmless_twice(node: str) -> None:
    module = get_module("libvirt")
    module.open(spec(node))

    module.close(spec(node))
    module.close(spec(node))

    assert connect(node).listAllDomains() == []


def test_operations_on_a_missing_machine_fail_permanently(node: str) -> None:
    with pytest.raises(ModuleError) as caught:
        get_module("libvirt").reboot(spec(node, service_id=99))
    assert caught.value.retryable is False


def test_an_unreachable_host_is_a_retryable_error() -> None:
    with pytest.raises(ModuleError) as caught:
        get_module("libvirt").open(spec("qemu+tcp://127.0.0.1:1/system"))
    assert caught.value.retryable is True


def test_statistics_reports_cpu_time_and_network_counters(node: str) -> None:
    module = get_module("libvirt")
    assert "statistics" in module.capabilities
    module.open(spec(node))
    until = datetime(2026, 3, 1, tzinfo=UTC)

    samples = {s.metric: s for s in module.statistics(spec(node), until - timedelta(hours=1), until)}

    assert set(samples) == {"cpu_time", "rx_bytes", "tx_bytes"}
    assert samples["cpu_time"].unit == "seconds" and samples["rx_bytes"].unit == "bytes"
    assert all(s.cumulative and s.end == until for s in samples.values())
    # The test driver's counters are not exact (they follow the wall clock): only their shape is.
    assert samples["cpu_time"].quantity > 0 and samples["rx_bytes"].quantity > 0


@pytest.mark.parametrize(
    ("previous", "current", "used"),
    [
        (None, "500", "0"),  # first reading: a baseline only
        ("100", "350", "250"),
        ("900", "40", "40"),  # counter restarted with the machine
    ],
)
def test_usage_between_two_counter_readings(previous: str | None, current: str, used: str) -> None:
    assert usage_between(Decimal(previous) if previous else None, Decimal(current)) == Decimal(used)


def test_node_capacity_reads_the_host(node: str) -> None:
    capacity = get_module("libvirt").node_capacity({"uri": node}, {})
    assert capacity == {"ram": Decimal(16), "cpu": Decimal(8)}  # GiB and cores


def test_a_demo_node_recreates_machines_lost_with_the_worker_process(node: str) -> None:
    demo = ServiceSpec(**{**spec(node).__dict__, "config": {"uri": node, "recreate_missing": True}})

    get_module("libvirt").reboot(demo)

    assert machine(node).isActive()


def test_a_failed_connection_never_shows_the_password(caplog: pytest.LogCaptureFixture) -> None:
    locked = ServiceSpec(
        **{
            **spec("qemu+tcp://127.0.0.1:1/system").__dict__,
            "secrets": {"username": "root", "password": "pa55-never-shown"},
        }
    )
    with caplog.at_level("DEBUG"), pytest.raises(ModuleError) as caught:
        get_module("libvirt").open(locked)
    assert "pa55-never-shown" not in str(caught.value) and "pa55-never-shown" not in caplog.text
