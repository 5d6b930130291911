"""Browser fixtures: links that leave the site point at the live server, and every page a browser
test opens must keep to the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page


@pytest.fixture(autouse=True)
def _links_on_the_live_server(request: pytest.FixtureRequest, settings: Any, _fast_password_hasher: None) -> None:
    if "live_server" in request.fixturenames:
        settings.OPENBILL_BASE_URL = request.getfixturevalue("live_server").url


def is_csp_violation(message: ConsoleMessage) -> bool:
    # Chromium reports a blocked inline script, handler, style or source as a console error that
    # names the policy ("Refused to execute inline script because it violates the following
    # Content Security Policy directive: …").
    return "Content Security Policy" in message.text


@pytest.fixture
def page(page: Page) -> Iterator[Page]:
    """pytest-playwright's page, failing the test on any Content-Security-Policy violation."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if is_csp_violation(message) else None)
    yield page
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
