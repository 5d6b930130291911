"""The delegation check against real DNS: two Knot servers serving a parent zone (test.) and
child zones; delegated, not delegated and lame told apart with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openbill.domains import delegation

from . import knot as knot_servers


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    servers = knot_servers.start(tmp_path_factory.mktemp("knot-delegation"))
    yield servers
    servers.stop()


def ask(knot: Any, domain: str) -> delegation.Result:
    return delegation.check(domain, parents=[knot_servers.PARENT], port=knot.port, timeout=1)


def test_delegated(knot: Any) -> None:
    result = ask(knot, "alice.test")
    assert result.state == "delegated", result.reason
    assert result.parent_ns == ["ns1.alice.test", "ns2.alice.test"]
    assert {s.serial for s in result.servers} == {2026120601}
    assert "serial 2026120601" in result.reason


def test_not_delegated(knot: Any) -> None:
    result = ask(knot, "bob.test")
    assert result.state == "not_delegated"
    assert "does not delegate bob.test" in result.reason


def test_lame_when_the_server_is_not_authoritative(knot: Any) -> None:
    result = ask(knot, "lame.test")
    assert result.state == "lame"
    assert "ns1.lame.test: not authoritative" in result.reason


def test_lame_when_a_server_does_not_answer(knot: Any) -> None:
    result = ask(knot, "split.test")
    assert result.state == "lame"
    assert "ns2.split.test: no answer" in result.reason and "ns1.split.test" not in result.reason


def test_parent_down(knot: Any) -> None:
    result = delegation.check("alice.test", parents=["127.0.0.9"], port=knot.port, timeout=0.5)
    assert result.state == "not_delegated" and "did not answer" in result.reason


@pytest.mark.django_db
def test_the_domain_page_shows_the_result(
    knot: Any, alice: Any, alice_http: Any, bob_http: Any, test_zone: Any, owner_contact: Any
) -> None:
    from django.urls import reverse
    from django.utils import timezone

    from openbill.core.actors import Actor
    from openbill.domains.actions import check_delegation, order_domain
    from openbill.domains.models import Domain

    line = order_domain(
        alice,
        name="lame.test",
        action="register",
        contacts={"owner": owner_contact},
        actor=Actor("client", None, "alice"),
        now=timezone.now(),
    )
    assert alice_http.post(reverse("clientarea:service_domain_delegation", args=[line.service.pk])).status_code == 302
    assert bob_http.post(reverse("clientarea:service_domain_delegation", args=[line.service.pk])).status_code == 404
    check_delegation(Domain.objects.get(), now=timezone.now(), parents=[knot_servers.PARENT], port=knot.port, timeout=1)
    page = alice_http.get(reverse("clientarea:service_domain", args=[line.service.pk])).content.decode()
    assert "Lame delegation" in page and "ns1.lame.test: not authoritative" in page
