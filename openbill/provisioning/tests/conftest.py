"""Fixtures of the provisioning tests."""

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


@pytest.fixture(scope="session")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's pebble + challtestsrv on free loopback ports, one pair per test process."""
    from . import pebble as pebble_server

    server = pebble_server.start(tmp_path_factory.mktemp("pebble"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def webroot(pebble: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder served over HTTP where pebble's validator fetches HTTP-01 tokens (what the
    domain's web server does in production)."""
    import functools
    import http.server
    import threading

    folder = tmp_path_factory.mktemp("webroot")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", pebble.http_port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def knot_and_pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """An authoritative Knot DNS server, and a pebble that validates DNS-01 by asking it."""
    from . import pebble as servers

    knot = servers.start_knot(tmp_path_factory.mktemp("knot"))
    ca = servers.start(tmp_path_factory.mktemp("pebble-knot"), dns_server=f"127.0.0.1:{knot.port}")
    yield knot, ca
    ca.stop()
    knot.stop()
