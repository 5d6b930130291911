"""Lifecycle actions in a real browser, with the real database task backend and a worker the
test runs between steps (nothing in the product is slowed down for the test): alice reboots a
server and sees In progress (reboot), then Active once the worker has run; suspends and resumes
it; deletes another at the end of its paid period and sees the scheduled date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from openbill.core.tests import factories as f
from openbill.core.worker import OpenbillWorker
from openbill.provisioning import actions
from openbill.provisioning.modules.libvirt_vm import connect, forget_connections
from openbill.provisioning.tests import factories as pf

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[str]:
    yield pf.libvirt_node(tmp_path)
    forget_connections()


@pytest.fixture
def servers(alice: Any, vps_plan: Any, provider: Any, node: str) -> dict[str, Any]:
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    vps_plan.product_type.deletion_when = "period_end"
    vps_plan.product_type.save()
    host = pf.module(provider, "libvirt", vps_plan, name="Host 1", config={"uri": node})
    web = f.service(alice, vps_plan, name="Web server", module=host, parameters={"hostname": "web.alice.test"})
    old = f.service(alice, vps_plan, name="Old server", module=host, expires_at=timezone.now() + timedelta(days=17))
    for service in (web, old):
        actions.get_module("libvirt").open(actions.service_spec(service))
    return {"web": web, "old": old, "node": node}


def run_worker() -> None:
    """What `openbill worker` does, once: run every queued task, then stop."""
    OpenbillWorker(batch=True, schedule=False, interval=0).run()


def log_in(page: Page, live_server: Any, user: Any) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Active Services")).to_be_visible()


def test_alice_reboots_suspends_resumes_and_schedules_a_deletion(
    live_server: Any, page: Page, alice_user: Any, servers: dict[str, Any]
) -> None:
    web, old = servers["web"], servers["old"]
    status = page.locator(f"#service-status-{web.pk}")
    log_in(page, live_server, alice_user)

    # Reboot: In progress (reboot) until the worker has run, then Active (htmx refreshes it).
    page.goto(f"{live_server.url}/services/{web.pk}/")
    page.get_by_role("link", name="Reboot").click()
    # It asks first, saying what a reboot does.
    expect(page.get_by_test_id("confirm-what")).to_contain_text("running programs are stopped")
    page.get_by_role("button", name="Reboot the server").click()
    expect(page.get_by_text("Reboot requested.")).to_be_visible()
    expect(status).to_contain_text("In progress (reboot)")
    page.wait_for_timeout(3500)  # a poll passes: still in progress, nothing ran yet
    expect(status).to_contain_text("In progress (reboot)")
    run_worker()
    expect(status).to_contain_text("Active", timeout=10_000)
    expect(status).not_to_contain_text("In progress")

    # Suspend: the machine pauses once the worker has run.
    page.reload()
    page.get_by_role("link", name="Suspend").click()
    expect(page.get_by_test_id("confirm-what")).to_contain_text(f"paid until {web.expires_at:%Y-%m-%d}")
    page.get_by_role("button", name="Suspend the service").click()
    expect(status).to_contain_text("In progress (suspension)")
    run_worker()
    expect(status).to_contain_text("Suspended", timeout=10_000)
    assert connect(servers["node"]).lookupByName(f"openbill-{web.pk}").state()[0] == 3  # paused

    # Resume: her own suspension, lifted by her.
    page.reload()
    page.get_by_role("button", name="Resume").click()
    expect(status).to_contain_text("In progress (resume)")
    run_worker()
    expect(status).to_contain_text("Active", timeout=10_000)

    # History shows what happened, newest first.
    page.goto(f"{live_server.url}/services/{web.pk}/history/")
    expect(page.get_by_test_id("history")).to_contain_text("Operation started")

    # Delete the other server at the end of its paid period: the date is shown.
    date = f"{old.expires_at:%Y-%m-%d}"
    page.goto(f"{live_server.url}/services/{old.pk}/")
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_test_id("deletion-terms")).to_contain_text(f"is deleted on {date}")
    page.get_by_role("button", name="Delete at the end of the period").click()
    expect(page.get_by_test_id("scheduled-deletion")).to_have_text(f"Scheduled for deletion on {date}")
    expect(page.locator(f"#service-status-{old.pk}")).to_contain_text("Active")
    page.goto(f"{live_server.url}/services/")
    expect(page.get_by_text(f"Deleted on {date}")).to_be_visible()
