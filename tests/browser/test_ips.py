"""The IP addresses tab in a real browser, with the real task backend, a worker the test runs
between steps and a real Knot DNS server: alice's new server gets its main address at
activation; she orders an additional IPv4 after seeing its price, sets a reverse name (pending,
then set once the worker wrote it and Knot answers it), and deletes the additional address."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dns.resolver
import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from openbill.billing.actions import charge_service
from openbill.billing.models import ExpenseKind
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.core.worker import OpenbillWorker
from openbill.ipam.models import DnsServer, Pool
from openbill.provisioning.modules.libvirt_vm import forget_connections
from openbill.provisioning.tests import factories as pf
from openbill.provisioning.tests import pebble as servers
from openbill.services import actions as services

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]
REVERSE = "113.0.203.in-addr.arpa"


@pytest.fixture
def knot(tmp_path: Path) -> Iterator[servers.Knot]:
    server = servers.start_knot(tmp_path / "knot", zone="example.test", extra_zones={REVERSE: ""})
    yield server
    server.stop()


@pytest.fixture
def server(alice: Any, vps_plan: Any, provider: Any, tmp_path: Path, knot: servers.Knot) -> Iterator[Any]:
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    f.addon(vps_plan, "ipv4", prices={"month": "3.10"}, maximum=Decimal(4), name="Additional IPv4")
    host = pf.module(provider, "libvirt", vps_plan, name="Host 1", config={"uri": pf.libvirt_node(tmp_path)})
    dns_server = DnsServer(provider=provider, name="Knot", host="127.0.0.1", port=knot.port, tsig_key_name="openbill")
    dns_server.set_secret(knot.secret)
    dns_server.save()
    pool = Pool(provider=provider, name="Public", prefix="203.0.113.0/29", gateway="203.0.113.1")
    pool.reverse_zone, pool.dns_server = REVERSE, dns_server
    pool.save()
    pool.modules.set([host])
    service = f.service(alice, vps_plan, status="ordered", name="Web server")
    # Its first month paid, as an order does: a credit gives back at most what was paid.
    charge_service(
        service,
        kind=ExpenseKind.PERIOD,
        key="first",
        amount=Decimal("10.00"),
        description=Text.verbatim("first"),
        now=timezone.now(),
    )
    services.request_activation(service, actor=Actor.system(), now=timezone.now())
    run_worker()
    yield service
    forget_connections()


def run_worker() -> None:
    OpenbillWorker(batch=True, schedule=False, interval=0).run()


def ptr(knot: servers.Knot, name: str) -> list[str]:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], knot.port
    try:
        return [r.to_text() for r in resolver.resolve(name, "PTR", lifetime=3)]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []


def test_alice_orders_an_address_names_it_and_deletes_it(
    live_server: Any, page: Page, alice_user: Any, server: Any, knot: servers.Knot
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/services/{server.pk}/")
    page.get_by_role("link", name="IP addresses").click()
    rows = page.get_by_test_id("ips")
    expect(rows.locator("tr[data-address='203.0.113.2']")).to_contain_text("Main")

    page.get_by_test_id("order-ip").click()
    expect(page.get_by_test_id("change-total")).to_contain_text("3.10 USD")
    page.get_by_test_id("confirm-order").click()
    expect(page.get_by_text("The address 203.0.113.3 is yours.")).to_be_visible()
    expect(rows.locator("tr[data-address='203.0.113.3']")).to_contain_text("Additional")
    run_worker()  # the server is reconfigured with both addresses

    page.get_by_label("Reverse name of 203.0.113.3").fill("mail.alice.test")
    page.locator("tr[data-address='203.0.113.3']").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("ptr-pending")).to_be_visible()
    run_worker()
    page.reload()
    expect(page.locator("tr[data-address='203.0.113.3']").get_by_test_id("ptr-done")).to_be_visible()
    assert ptr(knot, f"3.{REVERSE}") == ["mail.alice.test."]

    page.locator("tr[data-address='203.0.113.3']").get_by_role("link", name="Delete").click()
    expect(page.get_by_test_id("change-total")).to_contain_text("-")
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_text("The address 203.0.113.3 is deleted.")).to_be_visible()
    expect(rows.locator("tr[data-address='203.0.113.3']")).to_have_count(0)
    run_worker()
    assert ptr(knot, f"3.{REVERSE}") == []
