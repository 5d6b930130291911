"""A data center's Virtual servers tab in a real browser, with the database task backend and a
worker the test runs between steps: alice creates a machine (In progress (creation), then
Running), is told in words why a too-big one does not fit, and stops one (Stopped)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from openbill.core.tests import factories as f
from openbill.core.worker import OpenbillWorker
from openbill.provisioning.modules.libvirt_vm import connect, forget_connections
from openbill.provisioning.tests import factories as pf
from openbill.vdc.models import Machine, MachineTemplate

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[str]:
    yield pf.libvirt_node(tmp_path)
    forget_connections()


@pytest.fixture
def vdc(alice: Any, provider: Any, node: str) -> Any:
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    plan = f.tariff(f.product_type(provider, "vdc"), "VDC-S", prices={"month": "50.00"})
    for resource, quantity in {"cpu": "8", "ram": "16", "disk": "200", "machines": "4"}.items():
        f.addon(plan, resource, included=quantity)
    host = pf.module(provider, "libvirt_vdc", plan, name="VDC host", config={"uri": node})
    MachineTemplate.objects.create(provider=provider, name="Debian 12", image="debian-12.qcow2")
    MachineTemplate.objects.create(provider=provider, name="Big image", image="big.qcow2", min_cpu=6)
    return f.service(alice, plan, name="Dev VDC", module=host)


def run_worker() -> None:
    OpenbillWorker(batch=True, schedule=False, interval=0).run()


def log_in(page: Page, live_server: Any, user: Any) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Active Services")).to_be_visible()


def create(page: Page, name: str, cpu: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Template").select_option(label="Debian 12")
    page.get_by_label("CPU cores").fill(cpu)
    page.get_by_label("RAM, GiB").fill("1")
    page.get_by_label("Disk, GiB").fill("10")
    page.get_by_role("button", name="Create").click()


def test_alice_creates_stops_and_is_refused_a_machine_beyond_the_pool(
    live_server: Any, page: Page, alice_user: Any, vdc: Any, node: str
) -> None:
    log_in(page, live_server, alice_user)
    page.goto(f"{live_server.url}/services/{vdc.pk}/")
    page.get_by_role("link", name="Virtual servers").click()
    expect(page.get_by_label("Template")).to_contain_text("Big image")

    create(page, "web-1", "6")
    expect(page.get_by_text("The machine web-1 is being created.")).to_be_visible()
    row = page.locator("tr[data-machine='web-1']")
    expect(row).to_contain_text("In progress (creation)")
    run_worker()
    expect(row).to_contain_text("Running", timeout=10_000)  # htmx polls, then reloads the tab
    assert connect(node).lookupByName(Machine.objects.get(name="web-1").domain_name).isActive()
    expect(page.get_by_label("Template")).not_to_contain_text("Big image")  # 2 cores left

    create(page, "db-1", "3")
    expect(page.get_by_text("8 CPU cores with machines using 6 leaves 2; this machine asks for 3.")).to_be_visible()
    assert not Machine.objects.filter(name="db-1").exists()

    page.goto(f"{live_server.url}/services/{vdc.pk}/machines/")
    row.get_by_role("button", name="Stop").click()
    expect(row).to_contain_text("In progress (stop)")
    run_worker()
    expect(row).to_contain_text("Stopped", timeout=10_000)
    assert not connect(node).lookupByName(Machine.objects.get(name="web-1").domain_name).isActive()
