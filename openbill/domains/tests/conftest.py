"""Fixtures of the domains tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openbill.api.tests.conftest import alice_api, bob_api  # noqa: F401  (fixtures)
from openbill.clientarea.tests.conftest import alice_http, bob_http  # noqa: F401  (fixtures)

from .epp_server import EppServer, Registry, self_signed_tls


@pytest.fixture
def epp_registry() -> Registry:
    registry = Registry(tlds=("test", "example", "xn--p1ai"))
    registry.add_account("openbill", "Registrar-Pass1")
    registry.add_account("other-registrar", "Other-Pass1")
    return registry


@pytest.fixture
def epp_server(epp_registry: Registry, tmp_path: Path) -> Iterator[EppServer]:
    context, ca_bundle = self_signed_tls(tmp_path)
    with EppServer(epp_registry, tls_context=context) as server:
        server.ca_bundle = ca_bundle  # type: ignore[attr-defined]
        yield server
    # Every frame of the test crossed the schemas (RFC 5730–5733, 3915), and every answer the
    # registry built passed them.
    assert server.validate
    assert server.frames_checked == server.frames_crossed
    assert server.schema_failures == []


@pytest.fixture
def epp_config(epp_server: EppServer) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": str(epp_server.port),
        "tls": "yes",
        "ca_bundle": epp_server.ca_bundle,  # type: ignore[attr-defined]
        "client_id": "openbill",
        "timeout": "5",
    }


EPP_SECRETS = {"password": "Registrar-Pass1"}


@pytest.fixture
def registrar(provider: Any, epp_config: dict[str, Any]) -> Any:
    from openbill.provisioning.tests import factories as pf

    return pf.module(provider, "epp", name="Test registry", config=epp_config, secrets=EPP_SECRETS)


def make_zone(
    provider: Any, name: str, module: Any = None, *, prices: dict[str, str] | None = None, **kwargs: Any
) -> Any:
    """A zone on sale with its domain tariff: register/transfer/renew prices for 1 and 2 years."""
    from decimal import Decimal

    from openbill.core.tests import factories as f
    from openbill.domains.actions import set_price
    from openbill.domains.models import Zone

    ptype = (
        f.product_type(provider, "domain", client_can_suspend=False) if not kwargs.get("ptype") else kwargs.pop("ptype")
    )
    plan = f.tariff(ptype, f".{name}", prices={"year": "1.00"})
    if module is not None:
        module.tariffs.add(plan)
    zone = Zone.objects.create(provider=provider, name=name, tariff=plan, module=module, **kwargs)
    base = prices or {"register": "10.00", "transfer": "8.00", "renew": "12.00"}
    for action, amount in base.items():
        for years in (1, 2):
            set_price(zone, action, years, Decimal(amount) * years)
    return zone


@pytest.fixture
def test_zone(provider: Any, registrar: Any) -> Any:
    return make_zone(provider, "test", registrar)


@pytest.fixture
def owner_contact(alice: Any) -> Any:
    from openbill.domains.actions import create_contact

    return create_contact(
        alice,
        {
            "kind": "person",
            "name": "Alice Liddell",
            "street": "1 Rabbit Hole",
            "city": "Oxford",
            "postcode": "OX1 1AA",
            "country": "gb",
            "phone": "+44.1865000000",
            "email": "alice@test.test",
        },
    )
