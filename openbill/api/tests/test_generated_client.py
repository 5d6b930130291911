"""A third-party integration, written against a client generated from /api/v1/schema/.

``openapi-python-client`` generates a typed Python client from the live schema (no warnings
allowed, offline: no post-hooks). A scripted integration then drives it against this server (over
WSGI, in-process): list and filter services, read one with add-ons and history, quote and renew,
quote and change add-ons, cart → checkout → pay, the ledger, usage with a provider token, and
every error kind. Each answer must parse into the type the schema promises, so a schema that
drifts from the server fails here the way it would fail an integrator.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client as DjangoClient
from django.utils import timezone

from openbill.accounts.models import ApiToken
from openbill.billing.models import LedgerEntry
from openbill.core.tests import factories as f
from openbill.metering.models import ProviderToken
from openbill.metering.tests.factories import traffic
from openbill.provisioning.tests import factories as pf
from openbill.services.choices import Operation

pytestmark = pytest.mark.django_db

PACKAGE = "openbill_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Iterator[ModuleType]:
    """The client package, generated once for this module from the schema the server serves."""
    with django_db_blocker.unblock():
        response = DjangoClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    root = tmp_path_factory.mktemp("client")
    (root / "schema.json").write_text(json.dumps(response.json()))
    # No post-hooks: the default ones run ruff over the output; the test needs nothing but the
    # generator itself, and no network.
    # A PDF (invoices) is binary like any download: the generator reads it as bytes.
    config = {"post_hooks": [], "content_type_overrides": {"application/pdf": "application/octet-stream"}}
    (root / "config.json").write_text(json.dumps(config))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(root / "schema.json"),
            "--config",
            str(root / "config.json"),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


@pytest.fixture(autouse=True)
def _wsgi_shares_the_test_connection() -> Iterator[None]:
    cache.clear()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _client(package: ModuleType, token: str) -> Any:
    return _module(package, "client").AuthenticatedClient(
        base_url="http://testserver",
        token=token,
        httpx_args={"transport": httpx.WSGITransport(app=get_wsgi_application())},
        raise_on_unexpected_status=True,
    )


def test_an_integration_through_the_generated_client(generated, alice, alice_user, bob, staff, provider, vps_type):
    api = lambda name: _module(generated, f"api.{name}")  # noqa: E731
    models = _module(generated, "models")
    # Given: alice's VPS with RAM and an OS, usage metered by traffic, bob next door.
    f.parameter(vps_type, "hostname", required=True)
    plan = f.tariff(vps_type, "VPS-1", prices={"month": "10.00", "year": "100.00"})
    big = f.tariff(vps_type, "VPS-XL", prices={"month": "90.00", "year": "900.00"})
    ram = f.addon(plan, "ram", prices={"month": "1.50"}, included=Decimal(1), maximum=Decimal(64))
    os_addon = f.enum_addon(plan, "os", {"debian": {"month": "0"}})
    traffic(plan)
    manual = pf.module(provider, "manual", plan, big)
    web = f.service(alice, plan, name="web-1", module=manual, addons={ram: "2"}, parameters={"hostname": "w.test"})
    web.addons.create(addon=os_addon, enum_item=os_addon.items.get(), quantity=Decimal(1))
    busy = f.service(alice, plan, name="busy", module=manual, operation=Operation.REBOOT)
    bobs = f.service(bob, plan, name="bob-1")
    alice_api = _client(generated, ApiToken.issue(alice_user, "integration")[1])

    # List and filter services.
    page = api("services.services_list").sync(
        client=alice_api,
        label_code=models.ServicesListLabelCode.IN_PROGRESS,
        ordering=[models.ServicesListOrderingItem("-status"), models.ServicesListOrderingItem("name")],
    )
    assert isinstance(page, models.PaginatedServiceList)
    assert [row.id for row in page.results] == [busy.pk]
    active = api("services.services_list").sync(client=alice_api, status=models.ServicesListStatus.ACTIVE)
    assert {row.id for row in active.results} == {web.pk, busy.pk}

    # Read one with add-ons and history.
    detail = api("services.services_retrieve").sync(id=web.pk, client=alice_api)
    assert isinstance(detail, models.ServiceDetail)
    assert {(line.resource, line.quantity) for line in detail.addons} == {("ram", "2"), ("os", "1")}
    assert {line.billing_type for line in detail.addons} == {models.BillingTypeEnum.ORDER, models.BillingTypeEnum.LIST}
    history = api("services.services_history_list").sync(id=web.pk, client=alice_api)
    assert isinstance(history, models.PaginatedServiceEventList)

    # Quote and renew: the charge is the quoted amount, and the ledger says so.
    balance_before = alice.balance_amount
    quote = api("services.services_renew_quote_create").sync(
        id=web.pk, client=alice_api, body=models.RenewQuoteRequestRequest(period=models.PeriodEnum.MONTH)
    )
    assert isinstance(quote, models.RenewQuote) and quote.period == models.PeriodEnum.MONTH
    renewal = api("services.services_renew_create").sync(
        id=web.pk,
        client=alice_api,
        body=models.RenewRequestRequest(period=models.PeriodEnum.MONTH, expected_start=quote.period_start),
        idempotency_key="renew-web-1",
    )
    assert isinstance(renewal, models.Renewal) and renewal.charged
    assert renewal.amount == quote.amount == "11.50"  # 10.00 + (2 − 1 included) × 1.50 + OS 0.00

    # Quote and change add-ons.
    change_quote = api("services.services_change_quote_create").sync(
        id=web.pk,
        client=alice_api,
        body=models.ChangeQuoteRequestRequest(addons=models.ChangeQuoteRequestRequestAddons.from_dict({"ram": "3"})),
    )
    assert isinstance(change_quote, models.ChangeQuote)
    assert Decimal(0) < Decimal(change_quote.share) <= Decimal(2)
    change = api("services.services_change_create").sync(
        id=web.pk,
        client=alice_api,
        body=models.ChangeRequestRequest(
            addons=models.ChangeRequestRequestAddons.from_dict({"ram": "3"}), expected_total=change_quote.total
        ),
        idempotency_key="change-web-1",
    )
    assert isinstance(change, models.ChangeResult)
    assert change.line.amount == change_quote.total

    # Cart → checkout → pay.
    line = api("cart.cart_create").sync(
        client=alice_api,
        body=models.OrderSpecRequest(
            tariff=plan.pk,
            period=models.PeriodEnum.MONTH,
            parameters=models.OrderSpecRequestParameters.from_dict({"hostname": "new.test"}),
        ),
    )
    assert isinstance(line, models.OrderLine) and line.kind == models.OrderLineKindEnum.NEW
    order = api("cart.cart_checkout_create").sync(client=alice_api, body=models.CheckoutRequest(pay=False))
    assert isinstance(order, models.Order) and order.status == models.OrderStatusEnum.PENDING
    paid = api("orders.orders_pay_create").sync(id=order.id, client=alice_api, idempotency_key="pay-1")
    assert isinstance(paid, models.Order) and paid.status == models.OrderStatusEnum.PAID
    replay = api("orders.orders_pay_create").sync_detailed(id=order.id, client=alice_api, idempotency_key="pay-1")
    assert replay.headers["Idempotent-Replayed"] == "true"

    # Read the ledger: three charges, each the amount the API answered, and the balance after.
    ledger = api("ledger.ledger_list").sync(client=alice_api)
    charges = [entry for entry in ledger.results if entry.kind == models.LedgerEntryKindEnum.CHARGE]
    assert [Decimal(entry.amount) for entry in charges] == [
        -Decimal(paid.total),
        -Decimal(change.line.amount),
        -Decimal(renewal.amount),
    ]
    alice.refresh_from_db()
    balance = api("balance.balance_retrieve").sync(client=alice_api)
    assert (
        Decimal(balance.balance_amount)
        == alice.balance_amount
        == balance_before + sum(Decimal(entry.amount) for entry in charges)
    )
    assert Decimal(ledger.results[0].balance_after) == alice.balance_amount
    assert sum(entry.amount for entry in LedgerEntry.objects.filter(client=alice)) == alice.balance_amount

    # Post usage with a provider token.
    meter = _client(generated, ProviderToken.issue(provider, "meter")[1])
    at = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    ingested = api("usage.usage_create").sync(
        client=meter,
        body=models.UsageBatchRequest(
            records=[
                models.UsageRecordInRequest(id="u-1", service=web.pk, resource="rx_bytes", at=at, quantity="1.5"),
                models.UsageRecordInRequest(id="u-2", service=bobs.pk + 1000, resource="rx_bytes", at=at, quantity="1"),
            ]
        ),
    )
    assert isinstance(ingested, models.IngestResult)
    assert (ingested.accepted, [r.index for r in ingested.rejected]) == (1, [1])

    # Every error kind parses into its documented type.
    invalid = api("cart.cart_create").sync_detailed(
        client=alice_api, body=models.OrderSpecRequest(tariff=big.pk + 1000, period=models.PeriodEnum.MONTH)
    )
    assert invalid.status_code == 400 and isinstance(invalid.parsed, models.ValidationError)
    assert "tariff" in invalid.parsed.additional_properties
    anonymous = api("services.services_list").sync_detailed(client=_client(generated, "obt_not-a-token"))
    assert anonymous.status_code == 401 and isinstance(anonymous.parsed, models.Error)
    staff_only = api("services.services_list").sync_detailed(client=_client(generated, ApiToken.issue(staff, "s")[1]))
    assert staff_only.status_code == 403 and isinstance(staff_only.parsed, models.Error)
    missing = api("services.services_retrieve").sync_detailed(id=bobs.pk, client=alice_api)
    assert missing.status_code == 404 and missing.parsed.code == "not_found"
    conflict = api("services.services_reboot_create").sync_detailed(id=busy.pk, client=alice_api)
    assert conflict.status_code == 409 and isinstance(conflict.parsed, models.Error)
    poor = api("orders.orders_create").sync_detailed(
        client=alice_api,
        body=models.OrderNowRequest(
            tariff=big.pk,
            period=models.PeriodEnum.YEAR,
            parameters=models.OrderNowRequestParameters.from_dict({"hostname": "big.test"}),
        ),
    )
    assert poor.status_code == 402 and isinstance(poor.parsed, models.InsufficientFunds)
    assert Decimal(poor.parsed.details.deficit) == Decimal(poor.parsed.details.amount) - Decimal(
        poor.parsed.details.available
    )
    reused = api("services.services_renew_create").sync_detailed(
        id=web.pk,
        client=alice_api,
        body=models.RenewRequestRequest(period=models.PeriodEnum.YEAR),
        idempotency_key="renew-web-1",
    )
    assert reused.status_code == 422 and isinstance(reused.parsed, models.Error)
    wrong = _client(generated, "obt_wrong")
    codes = [api("balance.balance_retrieve").sync_detailed(client=wrong).status_code for _ in range(25)]
    assert codes[0] == 401 and codes[-1] == 429
    throttled = api("balance.balance_retrieve").sync_detailed(client=wrong)
    assert isinstance(throttled.parsed, models.Error) and int(throttled.headers["Retry-After"]) >= 1
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal(balance.balance_amount)  # no error moved money
