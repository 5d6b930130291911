"""Domains in a real browser: alice checks names, sees availability and prices from the EPP
registry, orders one into the cart; once paid, the worker registers it at the registry; she
changes its name servers (one with glue) and refreshes its Whois on the domain page."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.worker import OpenbillWorker
from openbill.domains.models import Domain
from openbill.domains.tests.conftest import (  # noqa: F401  (fixtures)
    epp_config,
    epp_registry,
    epp_server,
    owner_contact,
    registrar,
    test_zone,
)
from openbill.orders import actions as orders

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]
ALICE = Actor("client", None, "alice@test.test")


def run_worker() -> None:
    OpenbillWorker(batch=True, schedule=False, interval=0).run()


def log_in(page: Page, live_server: Any, email: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_check_order_register_then_ns_and_whois(
    live_server: Any,
    page: Page,
    alice: Any,
    alice_user: Any,
    test_zone: Any,  # noqa: F811  (the fixtures imported above)
    owner_contact: Any,  # noqa: F811
    epp_registry: Any,  # noqa: F811
) -> None:
    epp_registry.add_domain("taken.test")
    log_in(page, live_server, alice_user.email)
    page.get_by_role("link", name="Domains").first.click()
    page.get_by_label("Domain names").fill("alice taken.test bad_name.test")
    page.get_by_role("button", name="Check").click()
    free = page.locator('tr[data-domain="alice.test"]')
    expect(free).to_contain_text("Available")
    expect(free).to_contain_text("10.00")
    expect(page.locator('tr[data-domain="taken.test"]')).to_contain_text("Taken")
    expect(page.get_by_test_id("refused")).to_contain_text("bad_name.test")

    free.get_by_role("link", name="Register").click()
    expect(page.get_by_label("Domain", exact=True)).to_have_value("alice.test")
    page.get_by_label("Owner").select_option(str(owner_contact.pk))
    page.get_by_label("Name servers").fill("ns1.provider.net\nns2.provider.net")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("alice.test is in the cart.")).to_be_visible()

    order = orders.checkout(alice, actor=ALICE, now=timezone.now())
    orders.pay_order(order, actor=ALICE, now=timezone.now())
    run_worker()
    assert epp_registry.domains["alice.test"].ns == ["ns1.provider.net", "ns2.provider.net"]

    domain = Domain.objects.get()
    page.goto(f"{live_server.url}/services/{domain.service_id}/")
    page.get_by_role("link", name="Whois / NS / Verify").click()
    page.get_by_label("Name servers").fill("ns1.alice.test")
    page.get_by_role("button", name="Save name servers").click()
    expect(page.get_by_text("Give 2 to 13 name servers.")).to_be_visible()
    page.get_by_label("Name servers").fill("ns1.alice.test/192.0.2.53\nns2.provider.net")
    page.get_by_role("button", name="Save name servers").click()
    expect(page.get_by_text("The name servers were saved.")).to_be_visible()
    run_worker()
    assert epp_registry.domains["alice.test"].ns == ["ns2.provider.net", "ns1.alice.test"]
    assert epp_registry.hosts["ns1.alice.test"].addrs == ["192.0.2.53"]

    page.get_by_role("button", name="Refresh").click()
    run_worker()
    page.reload()
    expect(page.get_by_test_id("whois-text")).to_contain_text("sponsor: openbill")
    expect(page.get_by_test_id("ns-list")).to_contain_text("ns1.alice.test/192.0.2.53")


def test_verify_and_the_delegation_tab(
    live_server: Any,
    page: Page,
    alice: Any,
    alice_user: Any,
    provider: Any,
    registrar: Any,  # noqa: F811  (the fixtures imported above)
    owner_contact: Any,  # noqa: F811
    settings: Any,
    tmp_path: Any,
) -> None:
    from openbill.domains.actions import order_domain
    from openbill.domains.tests.conftest import make_zone

    settings.MEDIA_ROOT = tmp_path / "media"
    make_zone(provider, "example", registrar, verification_required=True, verification_email="docs@registry.test")
    line = order_domain(
        alice,
        name="alice.example",
        action="register",
        contacts={"owner": owner_contact},
        actor=ALICE,
        now=timezone.now(),
    )
    document = tmp_path / "passport.pdf"
    document.write_bytes(b"%PDF-1.4\n%%EOF\n")
    log_in(page, live_server, alice_user.email)
    page.goto(f"{live_server.url}/services/{line.service.pk}/domain/")
    expect(page.get_by_test_id("verification")).to_contain_text("Verification required")
    expect(page.get_by_test_id("delegation")).to_contain_text("Not checked yet.")
    page.get_by_label("Documents").set_input_files(str(document))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("The documents were sent for verification.")).to_be_visible()
    expect(page.get_by_test_id("verification")).to_contain_text("Submitted")
    run_worker()
    from django.core import mail

    assert mail.outbox[-1].to == ["docs@registry.test"]
    assert mail.outbox[-1].attachments[0][0] == "passport.pdf"
