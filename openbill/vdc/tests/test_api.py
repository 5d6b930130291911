"""A VDC's machines through the API: list, create within the pool, start/stop/reboot, delete;
another client's data center or machine is a 404 on every route."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openbill.api.tests.conftest import token_client
from openbill.core.actors import Actor
from openbill.vdc import actions
from openbill.vdc.models import Machine, MachineStatus

from .test_machines import run_machines

pytestmark = pytest.mark.django_db


def machine_of(vdc: Any, template: Any, name: str = "web-1", **size: int) -> Machine:
    size = {"cpu": 1, "ram": 1, "disk": 10, **size}
    return actions.create_machine(
        vdc, name=name, template=template, actor=Actor.system("t"), now=timezone.now(), **size
    )


def test_create_list_and_drive_a_machine(alice_user: Any, alice_vdc: Any, debian: Any) -> None:
    api = token_client(alice_user)
    base = f"/api/v1/services/{alice_vdc.pk}/machines/"

    created = api.post(base, {"name": "web-1", "template": debian.pk, "cpu": 2, "ram": 2, "disk": 20}, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["cpu"], body["label_code"], body["label"]) == (
        "web-1",
        2,
        "in_progress",
        "In progress (creation)",
    )
    run_machines()
    listed = api.get(base).json()["results"]
    assert [(m["name"], m["status"], m["label"]) for m in listed] == [("web-1", "running", "Running")]

    mid = body["id"]
    stopped = api.post(f"{base}{mid}/stop/")
    assert stopped.status_code == 202 and stopped.json()["operation"] == "stop"
    assert api.post(f"{base}{mid}/reboot/").status_code == 409  # one operation at a time
    run_machines()
    assert api.post(f"{base}{mid}/start/").status_code == 202
    run_machines()
    assert api.post(f"{base}{mid}/reboot/").status_code == 202
    run_machines()
    deleted = api.delete(f"{base}{mid}/")
    assert deleted.status_code == 202
    run_machines()
    assert api.get(base).json()["results"] == []
    assert Machine.objects.get(pk=mid).status == MachineStatus.DELETED


def test_creating_beyond_the_pool_is_a_400_naming_the_resource(alice_user: Any, alice_vdc: Any, debian: Any) -> None:
    machine_of(alice_vdc, debian, "a", cpu=2)
    machine_of(alice_vdc, debian, "b", cpu=4)
    api = token_client(alice_user)

    refused = api.post(
        f"/api/v1/services/{alice_vdc.pk}/machines/",
        {"name": "c", "template": debian.pk, "cpu": 3, "ram": 1, "disk": 10},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json()["cpu"] == ["8 CPU cores with machines using 2 and 4 leaves 2; this machine asks for 3."]
    assert Machine.objects.count() == 2


def test_templates_and_pool_show_what_is_left(alice_user: Any, alice_vdc: Any, debian: Any, big_image: Any) -> None:
    machine_of(alice_vdc, debian, "a", cpu=5)
    api = token_client(alice_user)

    templates = api.get(f"/api/v1/services/{alice_vdc.pk}/machines/templates/").json()["results"]
    pool = api.get(f"/api/v1/services/{alice_vdc.pk}/machines/pool/").json()["results"]

    assert [t["name"] for t in templates] == ["Debian 12"]
    assert pool[0] == {"resource": "cpu", "total": 8, "used": 5, "left": 3}


def test_a_service_that_is_not_a_vdc_has_no_machines(alice_user: Any, alice: Any, vps_plan: Any) -> None:
    from openbill.core.tests import factories as f

    vps = f.service(alice, vps_plan)
    assert token_client(alice_user).get(f"/api/v1/services/{vps.pk}/machines/").status_code == 404


def test_every_machine_route_is_404_for_another_clients_vdc(
    alice_user: Any, alice_vdc: Any, bob_vdc: Any, debian: Any
) -> None:
    bobs = machine_of(bob_vdc, debian, "bobs")
    mine = machine_of(alice_vdc, debian, "mine")
    api = token_client(alice_user)
    theirs = f"/api/v1/services/{bob_vdc.pk}/machines/"
    # bob's machine under alice's own data center is not found either
    crossed = f"/api/v1/services/{alice_vdc.pk}/machines/{bobs.pk}/"
    body = {"name": "x", "template": debian.pk, "cpu": 1, "ram": 1, "disk": 10}

    assert api.get(theirs).status_code == 404
    assert api.post(theirs, body, format="json").status_code == 404
    assert api.get(f"{theirs}templates/").status_code == 404
    assert api.get(f"{theirs}pool/").status_code == 404
    for url in (f"{theirs}{bobs.pk}/", crossed):
        assert api.get(url).status_code == 404
        assert api.delete(url).status_code == 404
        for verb in ("start", "stop", "reboot"):
            assert api.post(f"{url}{verb}/").status_code == 404
    assert api.get(f"/api/v1/services/{alice_vdc.pk}/machines/{mine.pk}/").status_code == 200
    bobs.refresh_from_db()
    assert (bobs.operation, Machine.objects.filter(service=bob_vdc).count()) == ("create", 1)


def test_machine_list_queries_do_not_grow_with_machines(alice_user: Any, alice_vdc: Any, debian: Any) -> None:
    api = token_client(alice_user)
    url = f"/api/v1/services/{alice_vdc.pk}/machines/"
    machine_of(alice_vdc, debian, "a")
    api.get(url)
    with CaptureQueriesContext(connection) as one:
        api.get(url)
    machine_of(alice_vdc, debian, "b")
    with CaptureQueriesContext(connection) as two:
        assert len(api.get(url).json()["results"]) == 2
    assert len(two) == len(one)
