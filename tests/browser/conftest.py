"""Browser tests run against the live server: links that leave the site point at it."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _links_on_the_live_server(request: pytest.FixtureRequest, settings: Any, _fast_password_hasher: None) -> None:
    if "live_server" in request.fixturenames:
        settings.OPENBILL_BASE_URL = request.getfixturevalue("live_server").url
