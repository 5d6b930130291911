"""A VDC's machines take their public IPv4 addresses from the provider's pools (ipam), as
virtual servers do: counted against the data center's ``ipv4``, written into the libvirt
domain, released to quarantine when the machine is deleted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import libvirt
import pytest
from django.utils import timezone

from openbill.api.tests.conftest import token_client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.ipam import actions as ipam
from openbill.ipam.models import Address, AddressState
from openbill.ipam.tests.conftest import make_pool
from openbill.orders import actions as orders
from openbill.provisioning.modules.libvirt_vm import METADATA_NS
from openbill.vdc import actions, selectors
from openbill.vdc.models import Machine

from .conftest import logged_in
from .test_machines import domain, run_machines

CLIENT = Actor.system("test")


@pytest.fixture
def vdc_pool(provider: Any, vdc_host: Any) -> Any:
    """203.0.113.0/29 for the VDC host: .1 gateway, .2 excluded, .3–.6 free."""
    return make_pool(provider, "203.0.113.0/29", gateway="203.0.113.1", excluded="203.0.113.2", modules=[vdc_host])


def create(vdc: Any, template: Any, name: str, **kwargs: Any) -> Machine:
    return actions.create_machine(
        vdc, name=name, template=template, cpu=1, ram=1, disk=10, actor=CLIENT, now=timezone.now(), **kwargs
    )


def test_a_machine_gets_a_public_address_written_into_its_domain(
    alice_vdc: Any, debian: Any, vdc_pool: Any, libvirt_uri: str, alice_user: Any
) -> None:
    machine = create(alice_vdc, debian, "web-1")
    assert machine.public_ipv4 == "203.0.113.3"

    run_machines()

    metadata = domain(libvirt_uri, machine).metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, METADATA_NS)
    assert '<ip address="203.0.113.3" prefix="29" gateway="203.0.113.1" family="ipv4" main="yes"/>' in metadata
    lines = {line.resource: (line.total, line.used, line.left) for line in selectors.pool_lines(alice_vdc)}
    assert lines["ipv4"] == (2, 1, 1)
    listed = token_client(alice_user).get(f"/api/v1/services/{alice_vdc.pk}/machines/").json()["results"]
    assert [(m["name"], m["public_ipv4"]) for m in listed] == [("web-1", "203.0.113.3")]
    page = logged_in(alice_user).get(f"/services/{alice_vdc.pk}/machines/").content.decode()
    assert "203.0.113.3" in page and "Public IPv4 addresses" in page
    # The data center's IP addresses tab lists it by machine; no order or delete of additional ones.
    ips = logged_in(alice_user).get(f"/services/{alice_vdc.pk}/ips/").content.decode()
    assert "203.0.113.3" in ips and "Machine web-1" in ips
    assert 'data-testid="order-ip"' not in ips and "/delete/" not in ips


def test_the_data_center_public_addresses_are_a_limit(alice_vdc: Any, debian: Any, vdc_pool: Any) -> None:
    create(alice_vdc, debian, "a")
    create(alice_vdc, debian, "b")

    with pytest.raises(DomainError) as refused:
        create(alice_vdc, debian, "c")
    assert refused.value.field == "public_ipv4"
    assert "2 public IPv4 addresses and its machines use them all" in refused.value.message
    assert not Machine.objects.filter(name="c").exists()

    third = create(alice_vdc, debian, "c", public_ipv4=False)
    assert third.public_ipv4 == "" and Address.objects.filter(service=alice_vdc).count() == 2


def test_a_full_pool_refuses_the_machine_and_keeps_nothing(
    alice_vdc: Any, debian: Any, provider: Any, vdc_host: Any, alice_user: Any
) -> None:
    make_pool(provider, "198.51.100.0/30", modules=[vdc_host])  # .1 and .2
    ipam.take_one(alice_vdc, now=timezone.now(), actor=CLIENT)
    ipam.take_one(alice_vdc, now=timezone.now(), actor=CLIENT)

    api = token_client(alice_user)
    answer = api.post(
        f"/api/v1/services/{alice_vdc.pk}/machines/",
        {"name": "web-1", "template": debian.pk, "cpu": 1, "ram": 1, "disk": 10},
        format="json",
    )

    assert answer.status_code == 409, answer.content
    assert "No public IPv4 address is free now" in answer.content.decode()
    assert not Machine.objects.filter(service=alice_vdc).exists()
    # Without a public address the same machine is made.
    answer = api.post(
        f"/api/v1/services/{alice_vdc.pk}/machines/",
        {"name": "web-1", "template": debian.pk, "cpu": 1, "ram": 1, "disk": 10, "public_ipv4": False},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["public_ipv4"] == ""


def test_deleting_the_machine_puts_its_address_in_quarantine(alice_vdc: Any, debian: Any, vdc_pool: Any) -> None:
    machine = create(alice_vdc, debian, "web-1")
    run_machines()
    now = timezone.now()

    actions.delete_machine(machine, actor=CLIENT, now=now)
    run_machines()

    address = Address.objects.get(address="203.0.113.3")
    assert address.state == AddressState.QUARANTINE
    assert address.available_at is not None and address.available_at - address.released_at == timedelta(days=7)
    assert selectors.used_totals(alice_vdc)["ipv4"] == 0
    # The quarantined address is not given again: the next machine gets the next one.
    assert create(alice_vdc, debian, "web-2").public_ipv4 == "203.0.113.4"


def test_a_machine_address_is_not_an_additional_address_of_the_service(
    alice_vdc: Any, debian: Any, vdc_pool: Any, alice_user: Any
) -> None:
    machine = create(alice_vdc, debian, "web-1")
    api = token_client(alice_user)

    answer = api.delete(f"/api/v1/services/{alice_vdc.pk}/ips/203.0.113.3/")
    assert answer.status_code == 409 and "released when the machine is deleted" in answer.content.decode()
    # The sweep that takes back unpaid additional addresses leaves machines' alone.
    assert ipam.release_surplus(now=timezone.now()) == 0
    machine.refresh_from_db()
    assert machine.public_ipv4 == "203.0.113.3"


def test_lowering_the_public_addresses_below_the_machines_use_is_refused(
    alice_vdc: Any, debian: Any, vdc_pool: Any
) -> None:
    create(alice_vdc, debian, "a")
    create(alice_vdc, debian, "b")

    with pytest.raises(DomainError) as refused:
        orders.change_service(alice_vdc, actor=CLIENT, now=timezone.now(), addons={"ipv4": Decimal(1)})
    assert refused.value.field == "ipv4"
    assert selectors.pool_of(alice_vdc)["ipv4"] == 2


def test_no_pool_serving_the_data_center_means_no_public_address(alice_vdc: Any, debian: Any, alice_user: Any) -> None:
    assert create(alice_vdc, debian, "web-1").public_ipv4 == ""
    page = logged_in(alice_user).get(f"/services/{alice_vdc.pk}/machines/").content.decode()
    assert 'name="public_ipv4"' not in page
