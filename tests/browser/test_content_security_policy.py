"""The Content-Security-Policy in a real browser: injected inline script does not run, and the
pages that are not client-area pages (manual, API docs, browsable API, admin, staff) work under it
with no violation (the ``page`` fixture fails a test on any)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from openbill.core.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, url: str, user: Any, landing: str = "Active Services") -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=landing)).to_be_visible()


def test_inline_script_injected_into_a_page_does_not_run(live_server: Any, browser: Browser, db: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(f"{live_server.url}/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            const img = document.createElement("img");
            img.setAttribute("onerror", "window.handled = true");
            img.src = "data:,x";
            document.body.appendChild(img);
        }"""
    )
    page.wait_for_timeout(200)  # the image's error event, had the handler been allowed
    assert page.evaluate("() => [window.injected, window.handled]") == [None, None]
    assert any("Content Security Policy" in text for text in violations), violations
    context.close()


def test_a_hostile_manual_shows_as_text_and_the_page_still_works(
    live_server: Any, page: Page, alice: Any, alice_user: Any, vps_plan: Any
) -> None:
    service = f.service(alice, vps_plan, name="Web server")
    vps_plan.product_type.instruction_template = (
        'Welcome to {{ service.name }}<img src="x" onerror="window.owned = 1"><script>window.owned = 2</script>'
        '\nPanel: <a href="https://panel.test/">panel</a>'
    )
    vps_plan.product_type.save()
    log_in(page, live_server.url, alice_user)
    page.goto(f"{live_server.url}/services/{service.pk}/instructions/")
    manual = page.get_by_test_id("instructions")
    expect(manual).to_contain_text("Welcome to Web server")
    expect(manual.get_by_role("link", name="panel")).to_have_attribute("href", "https://panel.test/")
    assert manual.locator("img, script").count() == 0
    assert page.evaluate("() => window.owned") is None


def test_the_api_docs_and_the_browsable_api_work_under_the_policy(
    live_server: Any, page: Page, alice: Any, alice_user: Any, vps_plan: Any
) -> None:
    f.service(alice, vps_plan, name="Web server")
    log_in(page, live_server.url, alice_user)
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.get_by_text("/api/v1/services/").first).to_be_visible(timeout=30_000)
    page.goto(f"{live_server.url}/api/v1/services/")
    expect(page.get_by_text("Web server").first).to_be_visible()


def test_staff_pages_work_under_the_policy(live_server: Any, page: Page, staff: Any) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{live_server.url}/staff/")
    expect(page.locator("#content")).to_be_visible()
    page.goto(f"{live_server.url}/admin/services/service/")
    expect(page.locator("#changelist")).to_be_visible()
