"""The Virtual servers tab of a VDC's page: the pool, the machines with their statuses, a new
machine from a template that fits, and the row buttons; another client's ids are 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.vdc import actions
from openbill.vdc.models import Machine, MachineStatus

from .test_machines import run_machines

pytestmark = pytest.mark.django_db


def make(vdc: Any, template: Any, name: str, cpu: int = 1) -> Machine:
    return actions.create_machine(
        vdc, name=name, template=template, cpu=cpu, ram=1, disk=10, actor=Actor.system("t"), now=timezone.now()
    )


def test_tab_shows_pool_machines_and_only_fitting_templates(
    alice_web: HttpClient, alice_vdc: Any, debian: Any, big_image: Any
) -> None:
    make(alice_vdc, debian, "db-1", cpu=5)
    run_machines()
    make(alice_vdc, debian, "web-1")

    page = alice_web.get(reverse("clientarea:service_machines", args=[alice_vdc.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert f'aria-current="page" href="/services/{alice_vdc.pk}/machines/">Virtual servers' in html
    assert 'data-status="running"' in html and "In progress (creation)" in html
    assert "<td>6</td>" in html  # CPU cores used
    assert "Debian 12</option>" in html and "Windows Server" not in html  # 2 cores left < 4


def test_the_tab_exists_only_on_a_vdc(alice_web: HttpClient, alice: Any, vps_plan: Any, alice_vdc: Any) -> None:
    from openbill.core.tests import factories as f

    vps = f.service(alice, vps_plan)
    assert "Virtual servers" not in alice_web.get(reverse("clientarea:service", args=[vps.pk])).content.decode()
    assert "Virtual servers" in alice_web.get(reverse("clientarea:service", args=[alice_vdc.pk])).content.decode()
    assert alice_web.get(reverse("clientarea:service_machines", args=[vps.pk])).status_code == 404


def test_creating_from_the_form_and_the_refusal_in_words(alice_web: HttpClient, alice_vdc: Any, debian: Any) -> None:
    url = reverse("clientarea:service_machines", args=[alice_vdc.pk])
    make(alice_vdc, debian, "a", cpu=2)
    make(alice_vdc, debian, "b", cpu=4)

    refused = alice_web.post(url, {"name": "c", "template": debian.pk, "cpu": 3, "ram": 1, "disk": 10})
    assert refused.status_code == 400
    assert "8 CPU cores with machines using 2 and 4 leaves 2; this machine asks for 3." in refused.content.decode()

    created = alice_web.post(url, {"name": "c", "template": debian.pk, "cpu": 2, "ram": 1, "disk": 10})
    assert created.status_code == 302
    assert Machine.objects.filter(service=alice_vdc, name="c", cpu=2).exists()


def test_row_buttons_stop_start_and_delete(alice_web: HttpClient, alice_vdc: Any, debian: Any) -> None:
    machine = make(alice_vdc, debian, "web-1")
    run_machines()

    assert alice_web.post(reverse("clientarea:machine_stop", args=[machine.pk])).status_code == 302
    status = alice_web.get(reverse("clientarea:machine_status", args=[machine.pk]), headers={"HX-Request": "true"})
    assert "In progress (stop)" in status.content.decode() and "HX-Refresh" not in status
    run_machines()
    status = alice_web.get(reverse("clientarea:machine_status", args=[machine.pk]), headers={"HX-Request": "true"})
    assert 'data-status="stopped"' in status.content.decode() and status["HX-Refresh"] == "true"

    alice_web.post(reverse("clientarea:machine_start", args=[machine.pk]))
    run_machines()
    alice_web.post(reverse("clientarea:machine_reboot", args=[machine.pk]))
    run_machines()
    alice_web.post(reverse("clientarea:machine_delete", args=[machine.pk]))
    run_machines()
    assert Machine.objects.get(pk=machine.pk).status == MachineStatus.DELETED


def test_a_refused_button_says_why(alice_web: HttpClient, alice_vdc: Any, debian: Any) -> None:
    machine = make(alice_vdc, debian, "web-1")  # still being created

    page = alice_web.post(reverse("clientarea:machine_stop", args=[machine.pk]), follow=True)

    assert "Another operation is in progress: creation." in page.content.decode()


@pytest.mark.parametrize(
    "name", ["machine_start", "machine_stop", "machine_reboot", "machine_delete", "machine_status"]
)
def test_another_clients_machine_is_404(name: str, alice_web: HttpClient, bob_vdc: Any, debian: Any) -> None:
    bobs = make(bob_vdc, debian, "bobs")
    run_machines()

    url = reverse(f"clientarea:{name}", args=[bobs.pk])
    response = alice_web.get(url) if name == "machine_status" else alice_web.post(url)

    assert response.status_code == 404
    bobs.refresh_from_db()
    assert (bobs.status, bobs.operation) == (MachineStatus.RUNNING, "")


def test_another_clients_vdc_tab_is_404(alice_web: HttpClient, bob_vdc: Any, debian: Any) -> None:
    url = reverse("clientarea:service_machines", args=[bob_vdc.pk])
    assert alice_web.get(url).status_code == 404
    assert alice_web.post(url, {"name": "x", "template": debian.pk, "cpu": 1, "ram": 1, "disk": 10}).status_code == 404
    assert not Machine.objects.exists()


def test_a_spanish_client_reads_the_tab_and_the_refusal_in_spanish(
    alice_web: HttpClient, alice_vdc: Any, debian: Any
) -> None:
    alice_web.post(reverse("clientarea:set_language"), {"language": "es", "next": "/"})
    make(alice_vdc, debian, "a", cpu=2)
    make(alice_vdc, debian, "b", cpu=4)
    url = reverse("clientarea:service_machines", args=[alice_vdc.pk])

    html = alice_web.post(url, {"name": "c", "template": debian.pk, "cpu": 3, "ram": 1, "disk": 10}).content.decode()

    assert "Servidores virtuales" in html and "En curso (creación)" in html
    assert "8 núcleos de CPU con máquinas que usan 2 y 4 deja 2; esta máquina pide 3." in html


def test_tab_queries_do_not_grow_with_machines(alice_web: HttpClient, alice_vdc: Any, debian: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("clientarea:service_machines", args=[alice_vdc.pk])
    make(alice_vdc, debian, "a")
    alice_web.get(url)
    with CaptureQueriesContext(connection) as one:
        alice_web.get(url)
    make(alice_vdc, debian, "b")
    make(alice_vdc, debian, "c")
    with CaptureQueriesContext(connection) as three:
        assert alice_web.get(url).content.decode().count("data-machine=") == 3
    assert len(three) == len(one)


def test_the_tab_labels_every_control(alice_web: HttpClient, alice_vdc: Any, debian: Any) -> None:
    from openbill.clientarea.tests.test_accessibility import unlabelled

    make(alice_vdc, debian, "a")
    html = alice_web.get(reverse("clientarea:service_machines", args=[alice_vdc.pk])).content.decode()

    assert 'name="cpu"' in html and unlabelled(html) == []
