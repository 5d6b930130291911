"""Virtual data centers on the read replica: the Virtual servers tab, a machine's status badge
and the API's machines, machine, templates and pool read from it; after a change, the primary."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openbill.api.tests.conftest import token_client
from openbill.core.actors import Actor
from openbill.core.tests.replica_helpers import (  # noqa: F401  (replica_on: fixture)
    REPLICA_DB,
    assert_pinned_after,
    assert_reads_replica,
    replica_on,
)
from openbill.vdc import actions
from openbill.vdc.models import Machine

pytestmark = [REPLICA_DB, pytest.mark.usefixtures("replica_on")]
TABLES = ("vdc_machine", "vdc_machinetemplate")


@pytest.fixture
def machine(alice_vdc: Any, debian: Any) -> Machine:
    return actions.create_machine(
        alice_vdc, name="web-1", template=debian, cpu=1, ram=1, disk=10, actor=Actor.system("t"), now=timezone.now()
    )


def _pages(http: HttpClient, api: Any, machine: Machine) -> dict[str, Any]:
    vdc = machine.service_id
    return {
        "machines": lambda: http.get(reverse("clientarea:service_machines", args=[vdc])),
        "status": lambda: http.get(reverse("clientarea:machine_status", args=[machine.pk])),
        "api machines": lambda: api.get(f"/api/v1/services/{vdc}/machines/"),
        "api machine": lambda: api.get(f"/api/v1/services/{vdc}/machines/{machine.pk}/"),
        "api templates": lambda: api.get(f"/api/v1/services/{vdc}/machines/templates/"),
        "api pool": lambda: api.get(f"/api/v1/services/{vdc}/machines/pool/"),
    }


def test_the_machines_read_the_replica(alice_web: HttpClient, alice_user: Any, machine: Machine) -> None:
    for page, call in _pages(alice_web, token_client(alice_user), machine).items():
        response = assert_reads_replica(page, call, TABLES)
        if page == "machines":
            assert "web-1" in response.content.decode()
        if page == "api machines":
            assert [row["name"] for row in response.json()["results"]] == ["web-1"]


def test_after_a_change_the_machines_read_the_primary(
    alice_web: HttpClient, alice_user: Any, machine: Machine, debian: Any
) -> None:
    api = token_client(alice_user)
    pages = _pages(alice_web, api, machine)
    vdc = machine.service_id
    assert_pinned_after(
        alice_web,
        lambda: alice_web.post(
            reverse("clientarea:service_machines", args=[vdc]),
            {"name": "web-2", "template": debian.pk, "cpu": 1, "ram": 1, "disk": 10},
        ),
        {page: pages[page] for page in ("machines", "status")},
        TABLES,
    )
    assert_pinned_after(
        api,
        lambda: api.post(
            f"/api/v1/services/{vdc}/machines/",
            {"name": "web-3", "template": debian.pk, "cpu": 1, "ram": 1, "disk": 10},
            format="json",
        ),
        {page: pages[page] for page in ("api machines", "api machine", "api templates", "api pool")},
        TABLES,
    )
    assert sorted(Machine.objects.filter(service_id=vdc).values_list("name", flat=True)) == ["web-1", "web-2", "web-3"]
