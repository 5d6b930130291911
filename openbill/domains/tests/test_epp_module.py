"""The EPP registrar module against the test suite's EPP registry, over TLS with RFC 5734
framing: registration with contacts and name servers (with and without glue), transfer with the
auth code, renewal with the current expiry date, deletion, info, check; errors mapped to
retryable (dropped connection, 2400) and permanent (2302, 2202, 2201) failures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from openbill.provisioning.modules import ModuleError, ServiceSpec, get_module

from .conftest import EPP_SECRETS
from .epp_server import EppServer, Registry

OWNER = {
    "handle": "ob-c1",
    "name": "Alice Liddell",
    "org": "",
    "street": "1 Rabbit Hole",
    "city": "Oxford",
    "postcode": "OX1 1AA",
    "country": "GB",
    "phone": "+44.1865000000",
    "email": "alice@test.test",
}


def spec(
    config: dict[str, Any],
    domain: str,
    *,
    key: str = "k1",
    secrets: dict[str, Any] | None = None,
    operation: dict[str, Any] | None = None,
    **parameters: Any,
) -> ServiceSpec:
    params = {"domain": domain, "contacts": {"owner": OWNER, "admin": OWNER, "tech": OWNER}, **parameters}
    return ServiceSpec(
        service_id=1,
        name=domain,
        remote_id="",
        period="year",
        parameters=params,
        resources={},
        idempotency_key=key,
        config=config,
        secrets=EPP_SECRETS if secrets is None else secrets,
        operation_params=operation or {},
    )


def test_register_with_contacts_and_name_servers(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp = get_module("epp")
    result = epp.open(spec(epp_config, "alice.test", years=2, ns="ns1.provider.net ns2.provider.net"))
    domain = epp_registry.domains["alice.test"]
    assert domain.sponsor == "openbill"
    assert domain.registrant == "ob-c1" and domain.contacts == {"admin": "ob-c1", "tech": "ob-c1"}
    assert domain.ns == ["ns1.provider.net", "ns2.provider.net"]
    assert result["remote_id"] == domain.roid
    assert dt.datetime.fromisoformat(result["expires"]).year == dt.datetime.now(dt.UTC).year + 2
    assert epp_registry.contacts["ob-c1"].data["email"] == "alice@test.test"


def test_registering_again_with_the_same_task_is_harmless(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp = get_module("epp")
    first = epp.open(spec(epp_config, "alice.test"))
    again = epp.open(spec(epp_config, "alice.test"))  # the worker died after the registry's answer
    assert again["remote_id"] == first["remote_id"]


def test_a_name_another_registrar_holds_is_refused_for_good(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp_registry.add_domain("taken.test")
    with pytest.raises(ModuleError) as caught:
        get_module("epp").open(spec(epp_config, "taken.test"))
    assert not caught.value.retryable
    assert "2302" in str(caught.value) and "taken.test is already registered" in str(caught.value)


def test_name_server_inside_the_domain_gets_its_glue(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    get_module("epp").open(
        spec(epp_config, "alice.test", ns=["ns1.alice.test/192.0.2.1,2001:db8::1", "ns.provider.net"])
    )
    assert sorted(epp_registry.domains["alice.test"].ns) == ["ns.provider.net", "ns1.alice.test"]
    assert epp_registry.hosts["ns1.alice.test"].addrs == ["192.0.2.1", "2001:db8::1"]
    assert epp_registry.hosts["ns.provider.net"].addrs == []


def test_name_server_inside_the_domain_without_glue_is_refused(
    epp_config: dict[str, Any], epp_registry: Registry
) -> None:
    epp = get_module("epp")
    epp.open(spec(epp_config, "alice.test"))
    with pytest.raises(ModuleError, match="needs an IP address") as caught:
        epp.update_ns(spec(epp_config, "alice.test", operation={"ns": ["ns1.alice.test", "ns.provider.net"]}))
    assert not caught.value.retryable
    assert epp_registry.domains["alice.test"].ns == []


def test_update_name_servers(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp = get_module("epp")
    epp.open(spec(epp_config, "alice.test", ns="ns1.old.net ns2.old.net"))
    result = epp.update_ns(spec(epp_config, "alice.test", operation={"ns": "ns2.old.net ns1.alice.test/192.0.2.7"}))
    assert result["ns"] == ["ns2.old.net", "ns1.alice.test"]
    assert epp_registry.domains["alice.test"].ns == ["ns2.old.net", "ns1.alice.test"]
    assert epp_registry.hosts["ns1.alice.test"].addrs == ["192.0.2.7"]


def test_transfer_with_the_auth_code(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    held = epp_registry.add_domain("moving.test", auth_info="Tr4nsfer-Me")
    before = held.expires
    result = get_module("epp").open(spec(epp_config, "moving.test", action="transfer", auth_code="Tr4nsfer-Me"))
    assert held.sponsor == "openbill"
    assert result["transfer_status"] == "serverApproved" and result["pending"] is False
    assert dt.datetime.fromisoformat(result["expires"]).year == before.year + 1


def test_transfer_with_a_wrong_code_shows_the_registry_reason(
    epp_config: dict[str, Any], epp_registry: Registry
) -> None:
    held = epp_registry.add_domain("moving.test", auth_info="Tr4nsfer-Me")
    with pytest.raises(ModuleError) as caught:
        get_module("epp").open(spec(epp_config, "moving.test", action="transfer", auth_code="guess"))
    assert not caught.value.retryable
    assert "2202" in str(caught.value) and "the transfer code is wrong" in str(caught.value)
    assert held.sponsor == "other-registrar"


def test_renew_sends_the_current_expiry_and_a_repeat_does_not_renew_twice(
    epp_config: dict[str, Any], epp_registry: Registry
) -> None:
    epp = get_module("epp")
    created = epp.open(spec(epp_config, "alice.test"))
    renewal = spec(epp_config, "alice.test", key="renew-1", operation={"years": 2, "expires": created["expires"]})
    renewed = epp.prolong(renewal)
    start = dt.datetime.fromisoformat(created["expires"])
    assert dt.datetime.fromisoformat(renewed["expires"]).year == start.year + 2
    again = epp.prolong(renewal)  # the same task again (worker died after the registry answered)
    assert again["expires"] == renewed["expires"]
    assert epp_registry.domains["alice.test"].expires.year == start.year + 2


def test_renew_of_another_registrars_domain_is_refused(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp_registry.add_domain("theirs.test")
    with pytest.raises(ModuleError, match="2201") as caught:
        get_module("epp").prolong(spec(epp_config, "theirs.test", operation={"expires": "2030-01-01"}))
    assert not caught.value.retryable


def test_info_and_delete(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp = get_module("epp")
    epp.open(spec(epp_config, "alice.test", ns="ns1.provider.net ns2.provider.net"))
    info = epp.info(spec(epp_config, "alice.test"))
    assert info["sponsor"] == "openbill" and info["ns"] == ["ns1.provider.net", "ns2.provider.net"]
    assert info["auth_code"] and info["registrant"] == "ob-c1"
    epp.close(spec(epp_config, "alice.test", key="del"))
    assert "alice.test" not in epp_registry.domains
    epp.close(spec(epp_config, "alice.test", key="del"))  # already gone: harmless


def test_check(epp_config: dict[str, Any], epp_registry: Registry) -> None:
    epp_registry.add_domain("taken.test")
    answer = get_module("epp").check_domains(epp_config, EPP_SECRETS, ["taken.test", "free.test", "x.org"])  # type: ignore[attr-defined]
    assert answer["free.test"] == {"available": True, "reason": ""}
    assert answer["taken.test"] == {"available": False, "reason": "In use"}
    assert answer["x.org"]["available"] is False


def test_a_dropped_connection_is_retryable(epp_config: dict[str, Any], epp_server: EppServer) -> None:
    epp_server.drop_next = 1  # the server hangs up on the login
    with pytest.raises(ModuleError, match="closed") as caught:
        get_module("epp").open(spec(epp_config, "alice.test"))
    assert caught.value.retryable
    assert "alice.test" not in epp_server.registry.domains


def test_a_refused_connection_is_retryable(epp_config: dict[str, Any], epp_server: EppServer) -> None:
    epp_server.stop()
    with pytest.raises(ModuleError) as caught:
        get_module("epp").info(spec(epp_config, "alice.test"))
    assert caught.value.retryable


def test_command_failed_2400_is_retryable(epp_config: dict[str, Any], epp_server: EppServer) -> None:
    epp_server.fail_next = [2400]  # the login answer
    with pytest.raises(ModuleError, match="2400") as caught:
        get_module("epp").info(spec(epp_config, "alice.test"))
    assert caught.value.retryable


def test_wrong_password_is_permanent(epp_config: dict[str, Any]) -> None:
    with pytest.raises(ModuleError, match="2200") as caught:
        get_module("epp").info(spec(epp_config, "alice.test", secrets={"password": "Wrong-Pass1"}))
    assert not caught.value.retryable


def test_untrusted_certificate_is_refused(epp_config: dict[str, Any]) -> None:
    with pytest.raises(ModuleError, match="CERTIFICATE_VERIFY_FAILED"):
        get_module("epp").info(spec({**epp_config, "ca_bundle": ""}, "alice.test"))
