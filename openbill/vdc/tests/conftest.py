"""VDC fixtures: alice's data center (8 CPU cores, 16 GiB RAM, 200 GiB disk, 4 machines, 2 IPs)
on a libvirt test node; machines are real domains of libvirt's test driver."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from openbill.core.tests import factories as f
from openbill.provisioning.tests import factories as pf
from openbill.provisioning.tests.conftest import libvirt_uri  # noqa: F401  (fixture)
from openbill.vdc.models import MachineTemplate

POOL = {"cpu": "8", "ram": "16", "disk": "200", "machines": "4", "ipv4": "2"}


@pytest.fixture
def vdc_plan(provider: Any) -> Any:
    ptype = f.product_type(provider, "vdc")
    plan = f.tariff(ptype, "VDC-S", prices={"month": "50.00"})
    for resource, quantity in POOL.items():
        f.addon(plan, resource, included=quantity, minimum="0", prices={"month": "1.00"})
    return plan


@pytest.fixture
def vdc_host(provider: Any, vdc_plan: Any, libvirt_uri: str) -> Any:  # noqa: F811
    return pf.module(provider, "libvirt_vdc", vdc_plan, name="VDC host", config={"uri": libvirt_uri})


@pytest.fixture
def alice_vdc(alice: Any, vdc_plan: Any, vdc_host: Any) -> Any:
    return f.service(alice, vdc_plan, name="Alice DC", module=vdc_host)


@pytest.fixture
def bob_vdc(bob: Any, vdc_plan: Any, vdc_host: Any) -> Any:
    return f.service(bob, vdc_plan, name="Bob DC", module=vdc_host)


@pytest.fixture
def debian(provider: Any) -> MachineTemplate:
    return MachineTemplate.objects.create(provider=provider, name="Debian 12", image="debian-12.qcow2")


@pytest.fixture
def big_image(provider: Any) -> MachineTemplate:
    return MachineTemplate.objects.create(
        provider=provider, name="Windows Server", image="win.qcow2", min_cpu=4, min_ram=8, min_disk=60
    )


def logged_in(user: Any) -> HttpClient:
    browser = HttpClient()
    browser.force_login(user)
    return browser


@pytest.fixture
def alice_web(alice_user: Any) -> HttpClient:
    return logged_in(alice_user)


@pytest.fixture
def bob_web(bob_user: Any) -> HttpClient:
    return logged_in(bob_user)
