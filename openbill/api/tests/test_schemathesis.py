"""schemathesis over the whole /api/v1/ schema, as alice with a token: no 5xx, every response
(status, headers, body) as documented, schema-invalid input refused.

A fixed seed and a small number of examples per operation keep CI fast and repeatable; raise
OPENBILL_SCHEMATHESIS_EXAMPLES for a deeper run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import ChecksConfig, OperationConfig
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, PositiveDataAcceptanceConfig
from schemathesis.filters import FilterSet

from openbill.accounts.models import ApiToken
from openbill.core.models import IdempotencyRecord
from openbill.core.tests import factories as f
from openbill.services.choices import Operation, Status

EXAMPLES = int(os.environ.get("OPENBILL_SCHEMATHESIS_EXAMPLES", "15"))


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
# No text the API takes may hold a NUL (PostgreSQL text cannot store one): every endpoint's parser
# refuses it with a 400 naming the field (api/parsers.py, README), so generated text has none.
schema.config.generation.update(allow_x00=False)

# Ordering and paying check their input against the catalog and the caller's money (a period the
# tariff sells, add-on limits, a tariff id, the balance): a schema-valid body may still break such
# a rule, which is the documented 400 naming the field, or 402. The statistics range has
# rules between its two parameters (end not before start, at most 366 days) that OpenAPI cannot
# state. A new machine must fit what is left of its data center's pool and use an offered
# template. A ticket names a department and a service that must be the caller's. A password change
# is refused (400, naming the field) unless the current password is right and the new one passes
# the password rules. A machine must fit its data center's pool; one more IP address must be priced
# as quoted and a pool must have room. A domain must be in a zone on sale, its contacts the
# caller's. A billing profile names a country and a VAT number that passes its check digit.
# Everything else stays strict.
_domain_rules = FilterSet()
_domain_rules.include(
    path_regex=(
        r"^/api/v1/(orders/|cart/|payments/|tickets/$|account/password/|domains/|billing-profile/"
        r"|services/\{[^}]+\}/(renew|change|configure|statistics|machines|ips))"
    )
)
schema.config.operations.operations.append(
    OperationConfig(
        filter_set=_domain_rules,
        checks=ChecksConfig(
            positive_data_acceptance=PositiveDataAcceptanceConfig(
                expected_statuses=[*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "400", "402"]
            )
        ),
    )
)


@pytest.fixture(autouse=True)
def api_data(db: Any, alice: Any, bob: Any, vps_plan: Any, provider: Any) -> Iterator[None]:
    # Some data for the generated requests to find: alice's services in several states, bob's.
    ram = f.addon(vps_plan, "ram", prices={"month": "1"}, included=Decimal(1))
    f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}})
    f.service(alice, vps_plan, name="web-1", addons={ram: "2"}, parameters={"hostname": "web.example.com"})
    f.service(alice, vps_plan, name="db-1", status=Status.SUSPENDED, suspended_by_admin=True)
    f.service(alice, vps_plan, name="busy", operation=Operation.REBOOT)
    f.service(bob, vps_plan, name="bob-1")
    # The WSGI handler closes "old" connections at each request's start and end; on PostgreSQL
    # that would close the test's own connection (and its transaction) under it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_schema(case: Any, alice_user: Any) -> None:
    # A fresh token per example: a generated DELETE /tokens/{id}/ may revoke an earlier one.
    _, raw = ApiToken.issue(alice_user, "schemathesis")
    # Each example is a new request, not a retry: a generated Idempotency-Key reused from an
    # earlier example with another body is rightly refused (422, invariant 7), so the stored keys
    # of earlier examples are forgotten.
    IdempotencyRecord.objects.all().delete()
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"})
