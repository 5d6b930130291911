"""Fixtures of the IP addresses tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openbill.ipam.models import Pool
from openbill.provisioning.modules.libvirt_vm import forget_connections
from openbill.provisioning.tests import factories as pf


def make_pool(provider: Any, prefix: str = "203.0.113.0/29", **kwargs: Any) -> Pool:
    modules = kwargs.pop("modules", [])
    tariffs = kwargs.pop("tariffs", [])
    kwargs.setdefault("name", f"Pool {prefix}")
    pool = Pool(provider=provider, prefix=prefix, **kwargs)
    pool.full_clean()
    pool.save()
    pool.modules.set(modules)
    pool.tariffs.set(tariffs)
    return pool


@pytest.fixture
def libvirt_uri(tmp_path: Path) -> Iterator[str]:
    yield pf.libvirt_node(tmp_path)
    forget_connections()


@pytest.fixture
def vps_host(provider: Any, vps_plan: Any, libvirt_uri: str) -> Any:
    return pf.module(provider, "libvirt", vps_plan, name="Host 1", config={"uri": libvirt_uri})


@pytest.fixture
def pool(provider: Any) -> Pool:
    """203.0.113.0/29: .1 is the gateway, .2 excluded: .3–.6 are given to services."""
    return make_pool(provider, "203.0.113.0/29", gateway="203.0.113.1", excluded="203.0.113.2")
