from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
