"""A client's first visit in a real browser: log in, read the widget, follow an id, switch to Spanish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from openbill.core.tests import factories as f
from openbill.services.choices import Status

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alices_services(alice: Any, vps_plan: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "yearly": f.service(
            alice,
            vps_plan,
            name="Database server",
            period="year",
            auto_renew=False,
            expires_at=now + timedelta(days=40),
        ),
        "daily": f.service(alice, vps_plan, name="Test box", period="day", expires_at=now + timedelta(days=3)),
        "stopped": f.service(
            alice,
            vps_plan,
            name="Old blog",
            status=Status.SUSPENDED,
            suspended_expired=True,
            expires_at=now - timedelta(days=9),
            suspended_at=now - timedelta(days=9),
        ),
    }


def test_alice_logs_in_reads_the_widget_follows_an_id_and_switches_to_spanish(
    live_server: Any, page: Page, alice_user: Any, alices_services: dict[str, Any]
) -> None:
    yearly, daily, stopped = alices_services["yearly"], alices_services["daily"], alices_services["stopped"]

    # Log in with email and password.
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Active Services")).to_be_visible()

    # The Active Services widget, in the seed's exact formats.
    widget = page.get_by_test_id("active-services")
    expect(widget.locator(f'tr[data-service-id="{yearly.pk}"] td')).to_have_text(
        [str(yearly.pk), "Database server", f"Expires {yearly.expires_at.date().isoformat()}", "Off", "500 USD/year"]
    )
    expect(widget.locator(f'tr[data-service-id="{daily.pk}"] td')).to_have_text(
        [str(daily.pk), "Test box", f"Expires {daily.expires_at.date().isoformat()}", "On", "1.00 USD/day"]
    )
    expect(widget.locator(f'tr[data-service-id="{stopped.pk}"] td')).to_have_text(
        [str(stopped.pk), "Old blog", f"Stopped {stopped.expires_at.date().isoformat()}", "On", "10.00 USD/month"]
    )
    expect(page.get_by_test_id("overages-empty")).to_contain_text("once more information is gathered")

    # Clicking an id lands on the services list filtered by that id.
    widget.get_by_role("link", name=str(yearly.pk), exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/services/?id={yearly.pk}")
    rows = page.get_by_test_id("services-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Database server")
    expect(page.get_by_label("id", exact=True)).to_have_value(str(yearly.pk))

    # Switching to Spanish: the page is Spanish and stays on the same list.
    page.get_by_label("Language").first.select_option("es")
    page.get_by_role("button", name="Switch").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(f"{live_server.url}/services/?id={yearly.pk}")
    # The navigation is translated (the Spanish catalog supplies the words).
    nav = page.get_by_role("navigation").first
    expect(nav.get_by_role("link", name="Goods/Services", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Dashboard", exact=True)).to_have_count(0)


def test_in_progress_status_updates_itself_when_the_operation_ends(
    live_server: Any, page: Page, alice: Any, alice_user: Any, vps_plan: Any
) -> None:
    from openbill.core.actors import Actor
    from openbill.services import actions

    service = f.service(alice, vps_plan, name="Rebooting box", operation="reboot")
    page.goto(f"{live_server.url}/login/?next=/services/{service.pk}/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    status = page.locator(f"#service-status-{service.pk}")
    expect(status).to_contain_text("In progress (reboot)")

    # The module confirms the reboot; the page, left alone, follows within a few seconds.
    actions.complete_operation(service.pk, "reboot", actor=Actor.system("module"), now=timezone.now())
    expect(status).to_contain_text("Active", timeout=10_000)
    expect(status).not_to_contain_text("In progress")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_test_id("history")).to_contain_text("Operation completed")
