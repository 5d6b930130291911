"""EPP sessions kept open between operations: reused without logging in again, checked with
``<hello>`` once idle for ``keepalive`` seconds, replaced when the registry closed them (as
registries end idle sessions) or when idle past ``session_max_idle``."""

from __future__ import annotations

from typing import Any

import pytest

from openbill.provisioning.modules import ModuleError, get_module

from .epp_server import EppServer, Registry
from .test_epp_module import spec


@pytest.fixture
def registered(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp_registry.add_domain("alice.test", sponsor="openbill")


def info(config: dict[str, Any]) -> dict[str, Any]:
    return get_module("epp").info(spec(config, "alice.test"))  # type: ignore[attr-defined, no-any-return]


def test_operations_reuse_one_logged_in_session(
    epp_config: dict[str, Any], epp_server: EppServer, registered: None
) -> None:
    info(epp_config)
    info(epp_config)
    assert (epp_server.logins, epp_server.hellos) == (1, 0)


def test_an_idle_session_is_checked_with_hello_and_replaced_when_the_registry_closed_it(
    epp_config: dict[str, Any], epp_server: EppServer, registered: None
) -> None:
    config = {**epp_config, "keepalive": "0"}  # every reuse counts as idle
    info(config)
    info(config)
    assert (epp_server.logins, epp_server.hellos) == (1, 1)  # kept alive, not logged in again

    assert epp_server.close_sessions() == 1  # the registry ends the idle session

    assert info(config)["domain"] == "alice.test"  # hello fails: a new session, the operation goes on
    assert epp_server.logins == 2


def test_without_the_hello_a_closed_session_fails_once_and_the_retry_reconnects(
    epp_config: dict[str, Any], epp_server: EppServer, registered: None
) -> None:
    info(epp_config)
    epp_server.close_sessions()
    with pytest.raises(ModuleError) as dropped:
        info(epp_config)  # used again within the keepalive: the registry's close shows now
    assert dropped.value.retryable
    assert info(epp_config)["domain"] == "alice.test"  # the failed session was not kept
    assert epp_server.logins == 2


def test_a_session_idle_too_long_is_logged_out_and_replaced(
    epp_config: dict[str, Any], epp_server: EppServer, epp_registry: Registry, registered: None
) -> None:
    config = {**epp_config, "session_max_idle": "0"}
    info(config)
    info(config)
    assert epp_server.logins == 2 and epp_server.hellos == 0
