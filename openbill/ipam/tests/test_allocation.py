"""Pools, allocation at activation, Not available when a pool is full, release after quarantine."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from decimal import Decimal
from typing import Any

import libvirt
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.ipam import actions as ipam
from openbill.ipam.models import Address, AddressState, Pool
from openbill.provisioning import actions
from openbill.provisioning.modules.libvirt_vm import METADATA_NS, connect
from openbill.services import actions as services
from openbill.services.choices import Status
from openbill.services.models import Service

from .conftest import make_pool

ALICE = Actor("client", None, "alice@test.test")
STAFF = Actor("staff", None, "staff@test.test")


def run_due(now: Any) -> list[str]:
    return [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)]


def paid_order(client: Any, plan: Any, name: str = "Web server") -> Service:
    service = f.service(client, plan, status=Status.ORDERED, name=name)
    charge_service(
        service,
        kind=ExpenseKind.PERIOD,
        key="first",
        amount=Decimal("10.00"),
        description=Text.verbatim("first"),
        now=timezone.now(),
    )
    return service


def activate(service: Service, now: Any) -> list[str]:
    services.request_activation(service, actor=ALICE, now=now)
    return run_due(now)


def addresses(service: Service) -> list[tuple[str, bool]]:
    return [(a.address, a.main) for a in Address.objects.filter(service=service, state=AddressState.ACTIVE)]


# --- pools ------------------------------------------------------------------------------------------
def test_a_pool_reserves_network_broadcast_gateway_and_exclusions(provider: Any) -> None:
    pool = make_pool(
        provider, "198.51.100.0/28", gateway="198.51.100.1", excluded="198.51.100.2-198.51.100.4, 198.51.100.9"
    )
    # 16 addresses − network − broadcast − gateway − 3 − 1 = 9
    assert pool.size() == 9
    assert pool.first_free(set()) == ipaddress.ip_address("198.51.100.5")
    taken = {int(ipaddress.ip_address(f"198.51.100.{n}")) for n in (5, 6, 7, 8)}
    assert pool.first_free(taken) == ipaddress.ip_address("198.51.100.10")
    six = make_pool(provider, "2001:db8:10::/48", gateway="2001:db8:10::1")
    assert six.version == 6
    assert six.first_free(set()) == ipaddress.ip_address("2001:db8:10::2")


@pytest.mark.parametrize(
    ("prefix", "gateway", "excluded", "field"),
    [
        ("203.0.113.5/24", None, "", "prefix"),  # host bits set
        ("banana", None, "", "prefix"),
        ("203.0.113.0/24", "198.51.100.1", "", "gateway"),
        ("203.0.113.0/24", None, "10.0.0.1", "excluded"),
        ("203.0.113.0/24", None, "203.0.113.9-203.0.113.3", "excluded"),
        ("203.0.113.128/25", None, "", "prefix"),  # overlaps the existing /24
        ("198.51.100.0/24", None, "", "reverse_zone"),  # its reverse zone is 100.51.198.in-addr.arpa
    ],
)
def test_a_bad_pool_is_refused_with_the_field(
    provider: Any, prefix: str, gateway: str | None, excluded: str, field: str
) -> None:
    make_pool(provider, "203.0.113.0/24", reverse_zone="113.0.203.in-addr.arpa.")
    with pytest.raises(ValidationError) as error:
        make_pool(
            provider, prefix, gateway=gateway, excluded=excluded, name="Second", reverse_zone="113.0.203.in-addr.arpa"
        )
    assert list(error.value.message_dict) == [field]
    assert Pool.objects.count() == 1
    assert Pool.objects.get().reverse_zone == "113.0.203.in-addr.arpa"  # stored without the final dot


# --- activation -------------------------------------------------------------------------------------
def test_activation_gives_the_main_ipv4_and_ipv6_and_the_module_writes_them(
    alice: Any, vps_plan: Any, vps_host: Any, pool: Pool, provider: Any, libvirt_uri: str
) -> None:
    make_pool(provider, "2001:db8:10::/64", gateway="2001:db8:10::1")
    f.addon(vps_plan, "ipv6", included=Decimal(1), minimum=Decimal(1))
    service = paid_order(alice, vps_plan)

    assert activate(service, timezone.now()) == ["done"]

    assert sorted(addresses(service)) == [("2001:db8:10::2", True), ("203.0.113.3", True)]
    domain = connect(libvirt_uri).lookupByName(f"openbill-{service.pk}")
    metadata = domain.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, METADATA_NS)
    assert '<ip address="203.0.113.3" prefix="29" gateway="203.0.113.1" family="ipv4" main="yes"/>' in metadata
    assert 'address="2001:db8:10::2" prefix="64" gateway="2001:db8:10::1" family="ipv6" main="yes"' in metadata
    assert service.events.filter(kind="addresses assigned").exists()


def test_the_interface_gets_the_addresses_when_the_instance_says_so(
    alice: Any, vps_plan: Any, vps_host: Any, pool: Pool, libvirt_uri: str
) -> None:
    vps_host.config = {**vps_host.config, "interface_addresses": "yes"}
    vps_host.save()
    service = paid_order(alice, vps_plan)
    assert activate(service, timezone.now()) == ["done"]
    xml = connect(libvirt_uri).lookupByName(f"openbill-{service.pk}").XMLDesc()
    assert "<ip address='203.0.113.3' family='ipv4' prefix='29'/>" in xml
    assert "gateway='203.0.113.1'" in xml


def test_a_pool_serves_its_instances_and_tariffs_first(
    alice: Any, vps_plan: Any, vps_host: Any, pool: Pool, provider: Any
) -> None:
    dedicated = make_pool(provider, "192.0.2.0/29", modules=[vps_host])
    service = paid_order(alice, vps_plan)
    assert activate(service, timezone.now()) == ["done"]
    assert addresses(service) == [("192.0.2.1", True)]
    assert Address.objects.get(service=service).pool == dedicated


def test_an_address_is_never_given_twice_and_a_full_pool_makes_the_service_not_available(
    alice: Any, bob: Any, vps_plan: Any, vps_host: Any, pool: Pool
) -> None:
    now = timezone.now()
    given = []
    for n in range(4):  # .3 .4 .5 .6
        service = paid_order(alice, vps_plan, name=f"vm{n}")
        assert activate(service, now) == ["done"]
        given += addresses(service)
    assert sorted(a for a, _main in given) == ["203.0.113.3", "203.0.113.4", "203.0.113.5", "203.0.113.6"]

    late = paid_order(bob, vps_plan, name="late")
    bob.refresh_from_db()
    balance = bob.balance_amount
    assert activate(late, now) == ["not_available"]

    late.refresh_from_db()
    bob.refresh_from_db()
    assert late.status == Status.NOT_AVAILABLE and late.module is None
    assert addresses(late) == []
    # Money safe, as with a full server: the order stays paid, nothing more is charged.
    assert bob.balance_amount == balance
    assert list(Expense.objects.filter(service=late).values_list("amount", flat=True)) == [Decimal("10.00")]
    # The sweep does not retry while the pool is full (no History noise) …
    assert actions.retry_not_available(now=now) == 0
    # … and activates it once an address is free (a wider pool here).
    pool.prefix = "203.0.113.0/28"
    pool.save()
    assert actions.retry_not_available(now=now) == 1
    assert run_due(now) == ["done"]
    assert addresses(late) == [("203.0.113.7", True)]


def test_deletion_releases_the_addresses_after_the_quarantine(
    alice: Any, vps_plan: Any, vps_host: Any, pool: Pool, settings: Any
) -> None:
    settings.OPENBILL_IP_QUARANTINE_DAYS = 7
    pool.excluded = "203.0.113.2, 203.0.113.4-203.0.113.6"  # one address: .3
    pool.save()
    now = timezone.now()
    first = paid_order(alice, vps_plan, name="first")
    assert activate(first, now) == ["done"]
    assert addresses(first) == [("203.0.113.3", True)]

    services.delete_service(first, actor=STAFF, now=now)
    assert run_due(now) == ["done"]
    row = Address.objects.get(address="203.0.113.3")
    assert row.state == AddressState.QUARANTINE and row.available_at == now + timedelta(days=7)

    # Within the quarantine nobody gets it.
    second = paid_order(alice, vps_plan, name="second")
    six_days = now + timedelta(days=6)
    assert activate(second, six_days) == ["not_available"]

    week = now + timedelta(days=7, minutes=1)
    assert actions.retry_not_available(now=week) == 1
    assert run_due(week) == ["done"]
    assert addresses(second) == [("203.0.113.3", True)]


def test_the_sweep_releases_addresses_of_services_deleted_any_other_way(
    alice: Any, vps_plan: Any, vps_host: Any, pool: Pool
) -> None:
    now = timezone.now()
    service = paid_order(alice, vps_plan)
    assert activate(service, now) == ["done"]
    Service.objects.filter(pk=service.pk).update(status=Status.DELETED)

    assert ipam.release_deleted(now=now) == 1
    assert Address.objects.get(address="203.0.113.3").state == AddressState.QUARANTINE


def test_without_a_pool_activation_is_unchanged(alice: Any, vps_plan: Any, vps_host: Any) -> None:
    service = paid_order(alice, vps_plan)
    assert activate(service, timezone.now()) == ["done"]
    assert addresses(service) == []


# --- staff --------------------------------------------------------------------------------------------
def test_staff_see_each_pools_use_and_each_addresses_service(
    client: Any, staff: Any, alice: Any, vps_plan: Any, vps_host: Any, pool: Pool, settings: Any
) -> None:
    settings.OPENBILL_STAFF_2FA = False
    service = paid_order(alice, vps_plan, name="Web server")
    assert activate(service, timezone.now()) == ["done"]
    client.force_login(staff)

    page = client.get("/staff/ipam/pools/").content.decode()
    assert "203.0.113.0/29" in page and "25.0 %" in page  # 1 of 4

    page = client.get(f"/staff/ipam/pools/{pool.pk}/").content.decode()
    assert "203.0.113.3" in page and f"#{service.pk} Web server" in page and "Alice" in page
    assert client.get("/admin/ipam/pool/").status_code == 200
    assert client.get("/admin/ipam/address/").status_code == 200


def test_a_pool_cannot_shrink_away_from_its_taken_addresses(
    alice: Any, vps_plan: Any, vps_host: Any, pool: Pool
) -> None:
    pool.excluded = "203.0.113.2-203.0.113.5"
    pool.save()
    assert activate(paid_order(alice, vps_plan), timezone.now()) == ["done"]  # 203.0.113.6
    pool.prefix = "203.0.113.0/30"
    with pytest.raises(ValidationError) as error:
        pool.full_clean()
    assert "203.0.113.6" in str(error.value.message_dict["prefix"])


def test_an_address_whose_old_reverse_name_is_still_published_is_not_given(
    alice: Any, vps_plan: Any, vps_host: Any, pool: Pool
) -> None:
    pool.excluded = "203.0.113.2, 203.0.113.4-203.0.113.6"  # one address: .3
    pool.save()
    now = timezone.now()
    Address.objects.create(
        pool=pool,
        address="203.0.113.3",
        version=4,
        state=AddressState.QUARANTINE,
        allocated_at=now - timedelta(days=30),
        available_at=now - timedelta(days=1),
        ptr_published="old.example.com",  # the DNS server has not confirmed its removal yet
        ptr_state="pending",
    )
    service = paid_order(alice, vps_plan)
    assert not ipam.has_room(service, module_id=vps_host.pk, now=now)
    assert activate(service, now) == ["not_available"]

    Address.objects.filter(address="203.0.113.3").update(ptr_published="", ptr_state="")
    assert ipam.has_room(service, module_id=vps_host.pk, now=now)
    assert actions.retry_not_available(now=now) == 1
    assert run_due(now) == ["done"]
    assert addresses(service) == [("203.0.113.3", True)]
