"""A small catalog for ordering: a VPS tariff with RAM and an OS, and a domain tariff."""

from __future__ import annotations

from typing import Any

import pytest

from openbill.core.tests import factories as f


@pytest.fixture
def vps_catalog(vps_type: Any, vps_plan: Any) -> Any:
    f.parameter(vps_type, "hostname", kind="hostname")
    ram = f.addon(
        vps_plan,
        "ram",
        prices={"month": "2.00", "year": "20.00", "day": "0.10"},
        included=1,
        minimum=1,
        maximum=16,
        step=1,
        unit="GiB",
    )
    os_addon = f.enum_addon(
        vps_plan, "os", {"debian": {"month": "0", "year": "0"}, "windows": {"month": "15.00", "year": "150.00"}}
    )
    os_addon.items.create(code="freebsd", name="FreeBSD", enabled=False, position=9)
    return {"plan": vps_plan, "ram": ram, "os": os_addon}


@pytest.fixture
def domain_plan(provider: Any) -> Any:
    ptype = f.product_type(provider, "domain", name="Domains")
    f.parameter(ptype, "domain", kind="domain")
    return f.tariff(ptype, ".com", prices={"year": "12.00"})
