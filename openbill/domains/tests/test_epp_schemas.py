"""Every EPP frame of the tests is checked against the RFC schemas (RFC 5730–5733, 3915): a
client command they reject gets 2001 from the test registry, which the module reports as a
permanent error; the registry's own answers pass them too (the ``epp_server`` fixture asserts
that for every test of the suite)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from openbill.provisioning.modules import ModuleError, get_module
from openbill.provisioning.modules.epp import DOMAIN, EPP, session

from .conftest import EPP_SECRETS
from .epp_schema import problems
from .epp_server import EppServer, Registry
from .test_epp_module import OWNER, spec


def _sub(parent: ET.Element, ns: str, tag: str, text: str = "", **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    element.text = text or None
    return element


def _create_without_auth_info(create: ET.Element) -> None:
    _sub(create, DOMAIN, "name", "alice.test")
    _sub(create, DOMAIN, "registrant", "ob-c1")  # RFC 5731: <domain:authInfo> is required


def _create_in_the_wrong_order(create: ET.Element) -> None:
    _sub(create, DOMAIN, "name", "alice.test")
    _sub(create, DOMAIN, "registrant", "ob-c1")
    _sub(create, DOMAIN, "period", "1", unit="y")  # belongs before <domain:registrant>
    _sub(_sub(create, DOMAIN, "authInfo"), DOMAIN, "pw", "2fooBAR")


@pytest.mark.parametrize(
    ("build", "complaint"),
    [
        (
            _create_without_auth_info,
            f"Missing child element(s). Expected is one of ( {{{DOMAIN}}}contact, {{{DOMAIN}}}authInfo )",
        ),
        (
            _create_in_the_wrong_order,
            "Element '{urn:ietf:params:xml:ns:domain-1.0}period': This element is not expected",
        ),
    ],
)
def test_a_domain_create_the_schema_rejects_gets_2001_and_a_permanent_error(
    epp_config: dict[str, Any], epp_server: EppServer, epp_registry: Registry, build: Any, complaint: str
) -> None:
    with session(epp_config, EPP_SECRETS, "t") as epp:
        result = epp.object_command("create", DOMAIN, build)
    assert result.code == 2001
    assert complaint in result.reason
    error = result.error("create")
    assert str(error).startswith("EPP create: 2001 Command syntax error: ")
    assert not error.retryable
    assert "alice.test" not in epp_registry.domains
    assert epp_server.invalid_commands == 1


def test_the_module_reports_a_contact_the_schema_rejects_as_permanent(
    epp_config: dict[str, Any], epp_server: EppServer, epp_registry: Registry
) -> None:
    """A three-letter country code: contact:cc is two letters (RFC 5733)."""
    owner = {**OWNER, "country": "GBR"}
    task = spec(epp_config, "alice.test")
    task.parameters["contacts"] = {"owner": owner, "admin": owner, "tech": owner}
    with pytest.raises(ModuleError) as caught:
        get_module("epp").open(task)
    assert not caught.value.retryable
    assert "2001 Command syntax error" in str(caught.value) and "contact-1.0}cc" in str(caught.value)
    assert epp_registry.contacts == {} and epp_registry.domains == {}
    assert epp_server.invalid_commands == 1


def test_every_frame_of_a_registration_is_checked(epp_config: dict[str, Any], epp_server: EppServer) -> None:
    get_module("epp").open(spec(epp_config, "alice.test", ns="ns1.provider.net"))
    commands = 1 + len(epp_server.registry.log)  # the login and the object commands
    assert epp_server.frames_checked == 1 + 2 * commands  # the greeting, each command and answer
    assert epp_server.invalid_commands == 0 and epp_server.schema_failures == []


def _error_answer(ext_value: str) -> bytes:
    return (
        f'<epp xmlns="{EPP}"><response><result code="2303"><msg>Object does not exist</msg>'
        f"{ext_value}</result><trID><svTRID>SV-1</svTRID></trID></response></epp>"
    ).encode()


def test_an_error_reason_needs_the_value_it_is_about() -> None:
    """RFC 5730 2.6: <extValue> holds <value> (the client element at fault), then <reason>."""
    value = f'<value><domain:name xmlns:domain="{DOMAIN}">alice.test</domain:name></value>'
    assert problems(_error_answer(f"<extValue>{value}<reason>alice.test is not registered</reason></extValue>")) == ""
    assert "Expected is ( {urn:ietf:params:xml:ns:epp-1.0}value )" in problems(
        _error_answer("<extValue><reason>alice.test is not registered</reason></extValue>")
    )
