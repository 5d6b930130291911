"""schemathesis over the usage ingestion endpoint with a provider token: no 5xx, responses as
documented, schema-valid batches accepted (their records judged one by one), schema-invalid
bodies refused with a 400."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from openbill.core.tests import factories as f
from openbill.metering.models import ProviderToken

from .factories import traffic

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application()).include(
    path_regex=r"^/api/v1/usage/$"
)
# No text the API takes may hold a NUL: every endpoint's parser refuses it with a 400 (api/parsers.py).
schema.config.generation.update(allow_x00=False)


@pytest.fixture(autouse=True)
def usage_data(db: Any, alice: Any, vps_plan: Any) -> Iterator[None]:
    traffic(vps_plan)
    f.service(alice, vps_plan, name="web-1")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_usage_api_matches_its_schema(case: Any, provider: Any) -> None:
    _token, raw = ProviderToken.issue(provider, "schemathesis")
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"})
