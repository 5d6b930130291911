from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openbill.provisioning.modules.libvirt_vm import forget_connections

from . import factories as pf


@pytest.fixture
def libvirt_uri(tmp_path: Path) -> Iterator[str]:
    yield pf.libvirt_node(tmp_path)
    forget_connections()


@pytest.fixture
def vps_host(provider: Any, vps_plan: Any, libvirt_uri: str) -> Any:
    return pf.module(provider, "libvirt", vps_plan, name="Host 1", config={"uri": libvirt_uri})
