"""The IP addresses tab and API: one more IPv4 through the change flow (prorated, in the
ledger), deleting an additional one (credited), never the main or the last, another client's
addresses are 404."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import libvirt
import pytest
from django.db.models import Sum
from django.test import Client as HttpClient
from django.urls import reverse

from openbill.api.tests.conftest import token_client
from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.ipam import actions as ipam
from openbill.ipam.models import Address, AddressState, Pool
from openbill.provisioning import actions
from openbill.provisioning import staff as staff_ops
from openbill.provisioning.modules.libvirt_vm import METADATA_NS, connect
from openbill.services import actions as services
from openbill.services.choices import Status
from openbill.services.models import Service

from .conftest import make_pool

ALICE = Actor("client", None, "alice@test.test")
START = datetime(2026, 12, 1, tzinfo=UTC)  # paid until 2027-01-01: 31 days
DAY_11 = datetime(2026, 12, 11, tzinfo=UTC)  # 21 of 31 days left
DAY_22 = datetime(2026, 12, 22, tzinfo=UTC)  # 10 of 31 days left


def run_due(now: Any) -> list[str]:
    return [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)]


@pytest.fixture
def ipv4_addon(vps_plan: Any) -> Any:
    # 3.10 a month per additional address: 21/31 of it is exactly 2.10, 10/31 is 1.00.
    return f.addon(vps_plan, "ipv4", prices={"month": "3.10"}, maximum=Decimal(4), name="Additional IPv4")


@pytest.fixture
def server(alice: Any, vps_plan: Any, vps_host: Any, pool: Pool, ipv4_addon: Any) -> Service:
    """alice's virtual server, its first month paid (10.00), activated on START with its main
    address 203.0.113.3."""
    service = f.service(alice, vps_plan, status=Status.ORDERED, name="Web server")
    charge_service(
        service,
        kind=ExpenseKind.PERIOD,
        key="first",
        amount=Decimal("10.00"),
        description=Text.verbatim("first"),
        now=START,
    )
    services.request_activation(service, actor=ALICE, now=START)
    assert run_due(START) == ["done"]
    service.refresh_from_db()
    return service


def active(service: Service) -> list[tuple[str, bool]]:
    return sorted((a.address, a.main) for a in Address.objects.filter(service=service, state=AddressState.ACTIVE))


def ledger_total(client: Any) -> Decimal:
    return LedgerEntry.objects.filter(client=client).aggregate(total=Sum("amount"))["total"] or Decimal(0)


def test_order_and_delete_an_additional_ipv4_with_exact_prorated_money(
    alice: Any, server: Service, libvirt_uri: str
) -> None:
    alice.refresh_from_db()
    before = alice.balance_amount

    quote = ipam.quote_additional(server, now=DAY_11, delta=1)
    assert quote.total == Decimal("2.10")
    address = ipam.order_additional(server, actor=ALICE, now=DAY_11, expected_total=Decimal("2.10"))

    assert (address.address, address.main) == ("203.0.113.4", False)
    assert active(server) == [("203.0.113.3", True), ("203.0.113.4", False)]
    alice.refresh_from_db()
    assert alice.balance_amount == before - Decimal("2.10") == ledger_total(alice)
    change = Expense.objects.get(service=server, kind=ExpenseKind.CHANGE)
    assert change.amount == Decimal("2.10")
    assert server.addons.get(addon__resource="ipv4").quantity == 1
    # The module is reconfigured with both addresses.
    assert run_due(DAY_11) == ["done"]
    metadata = (
        connect(libvirt_uri)
        .lookupByName(f"openbill-{server.pk}")
        .metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, METADATA_NS)
    )
    assert "203.0.113.3" in metadata and "203.0.113.4" in metadata

    # Ten days later the client gives it back: 10/31 of 3.10 is credited.
    assert ipam.quote_additional(server, now=DAY_22, delta=-1).total == Decimal("-1.00")
    ipam.delete_additional(Address.objects.get(address="203.0.113.4"), actor=ALICE, now=DAY_22)

    alice.refresh_from_db()
    assert alice.balance_amount == before - Decimal("1.10") == ledger_total(alice)
    assert Expense.objects.get(service=server, kind=ExpenseKind.REFUND).amount == Decimal("-1.00")
    assert active(server) == [("203.0.113.3", True)]
    assert Address.objects.get(address="203.0.113.4").state == AddressState.QUARANTINE
    assert server.addons.get(addon__resource="ipv4").quantity == 0


def test_the_main_and_the_last_address_are_never_deleted(alice: Any, server: Service) -> None:
    main = Address.objects.get(service=server, main=True)
    with pytest.raises(ipam.IllegalTransition, match="main address"):
        ipam.delete_additional(main, actor=ALICE, now=DAY_11)
    # A service left with one non-main address (staff moved the main away) keeps it.
    Address.objects.filter(pk=main.pk).update(main=False)
    main.refresh_from_db()
    with pytest.raises(ipam.IllegalTransition, match="last address"):
        ipam.delete_additional(main, actor=ALICE, now=DAY_11)
    assert active(server) == [("203.0.113.3", False)]
    assert not Expense.objects.filter(service=server, kind=ExpenseKind.REFUND).exists()


def test_no_free_address_refuses_the_order_and_charges_nothing(alice: Any, server: Service, pool: Pool) -> None:
    pool.excluded = "203.0.113.2, 203.0.113.4-203.0.113.6"
    pool.save()
    alice.refresh_from_db()
    before = alice.balance_amount
    with pytest.raises(ipam.NoRoom):
        ipam.order_additional(server, actor=ALICE, now=DAY_11)
    alice.refresh_from_db()
    assert alice.balance_amount == before
    assert not Expense.objects.filter(service=server, kind=ExpenseKind.CHANGE).exists()
    assert active(server) == [("203.0.113.3", True)]
    assert server.addons.filter(addon__resource="ipv4").count() == 0


# --- the client area ------------------------------------------------------------------------------
def test_the_tab_lists_orders_after_a_quote_and_deletes(
    alice_user: Any, alice: Any, server: Service, time_machine: Any
) -> None:
    time_machine.move_to(DAY_11, tick=False)
    http = HttpClient()
    http.force_login(alice_user)
    page = http.get(reverse("clientarea:service_ips", args=[server.pk])).content.decode()
    assert "203.0.113.3" in page and "Main" in page and "IP addresses" in page
    assert "IP addresses" in http.get(reverse("clientarea:service", args=[server.pk])).content.decode()

    quote_page = http.get(reverse("clientarea:service_ip_order", args=[server.pk])).content.decode()
    assert "2.10" in quote_page
    answer = http.post(
        reverse("clientarea:service_ip_order", args=[server.pk]), {"expected_total": "2.10", "request_key": "k1"}
    )
    assert answer.status_code == 302
    # The same form sent twice orders once.
    http.post(reverse("clientarea:service_ip_order", args=[server.pk]), {"expected_total": "2.10", "request_key": "k1"})
    assert active(server) == [("203.0.113.3", True), ("203.0.113.4", False)]
    assert Expense.objects.filter(service=server, kind=ExpenseKind.CHANGE).count() == 1
    page = http.get(reverse("clientarea:service_ips", args=[server.pk])).content.decode()
    assert "Additional" in page

    run_due(DAY_11)
    extra = Address.objects.get(address="203.0.113.4")
    assert (
        "Delete the address"
        in http.get(reverse("clientarea:service_ip_delete", args=[server.pk, extra.pk])).content.decode()
    )
    assert http.post(reverse("clientarea:service_ip_delete", args=[server.pk, extra.pk])).status_code == 302
    assert active(server) == [("203.0.113.3", True)]


def test_a_changed_price_is_not_charged(alice_user: Any, alice: Any, server: Service, time_machine: Any) -> None:
    time_machine.move_to(DAY_11, tick=False)
    http = HttpClient()
    http.force_login(alice_user)
    http.post(reverse("clientarea:service_ip_order", args=[server.pk]), {"expected_total": "1.00", "request_key": "k"})
    assert active(server) == [("203.0.113.3", True)]
    assert not Expense.objects.filter(service=server, kind=ExpenseKind.CHANGE).exists()


# --- the API ----------------------------------------------------------------------------------------
def test_the_api_lists_orders_renames_and_deletes(
    alice_user: Any, alice: Any, server: Service, time_machine: Any
) -> None:
    time_machine.move_to(DAY_11, tick=False)
    api = token_client(alice_user)
    url = f"/api/v1/services/{server.pk}/ips/"
    assert api.get(url).json()["results"] == [
        {
            "address": "203.0.113.3",
            "version": 4,
            "main": True,
            "kind": "main",
            "ptr_name": "",
            "ptr_state": "none",
            "ptr_error": "",
        }
    ]
    assert api.get(f"{url}quote/").json()["total"] == "2.10"
    created = api.post(url, {"expected_total": "2.10"}, format="json", HTTP_IDEMPOTENCY_KEY="one")
    assert created.status_code == 201, created.content
    again = api.post(url, {"expected_total": "2.10"}, format="json", HTTP_IDEMPOTENCY_KEY="one")
    assert again.json() == created.json() and created.json()["address"] == "203.0.113.4"
    assert Expense.objects.filter(service=server, kind=ExpenseKind.CHANGE).count() == 1

    main = api.delete(f"{url}203.0.113.3/")
    assert main.status_code == 409
    # Reverse names need a DNS server for the pool: refused clearly without one.
    renamed = api.patch(f"{url}203.0.113.4/", {"ptr_name": "mail.example.com"}, format="json")
    assert renamed.status_code == 400 and "ptr_name" in renamed.content.decode()

    run_due(DAY_11)
    assert api.delete(f"{url}203.0.113.4/").status_code == 204
    assert [a["address"] for a in api.get(url).json()["results"]] == ["203.0.113.3"]


def test_another_clients_service_and_addresses_are_404(bob_user: Any, server: Service) -> None:
    api = token_client(bob_user)
    url = f"/api/v1/services/{server.pk}/ips/"
    assert api.get(url).status_code == 404
    assert api.get(f"{url}quote/").status_code == 404
    assert api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code == 404
    assert api.patch(f"{url}203.0.113.3/", {"ptr_name": "x.example.com"}, format="json").status_code == 404
    assert api.delete(f"{url}203.0.113.3/").status_code == 404
    http = HttpClient()
    http.force_login(bob_user)
    address = Address.objects.get(service=server)
    assert http.get(reverse("clientarea:service_ips", args=[server.pk])).status_code == 404
    assert http.get(reverse("clientarea:service_ip_order", args=[server.pk])).status_code == 404
    assert http.post(reverse("clientarea:service_ip_ptr", args=[server.pk, address.pk])).status_code == 404
    assert http.post(reverse("clientarea:service_ip_delete", args=[server.pk, address.pk])).status_code == 404
    assert Address.objects.get(pk=address.pk).state == AddressState.ACTIVE


def test_staff_read_pools_in_the_api(staff: Any, server: Service, pool: Pool, settings: Any) -> None:
    settings.OPENBILL_STAFF_2FA = False
    api = token_client(staff)
    answer = api.get("/api/v1/staff/ipam/pools/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["results"][0]["prefix"] == "203.0.113.0/29"
    assert answer.json()["results"][0]["size"] == 4 and answer.json()["results"][0]["used"] == 1
    detail = api.get(f"/api/v1/staff/ipam/pools/{pool.pk}/").json()
    assert [(a["address"], a["service"], a["client"], a["state"]) for a in detail["addresses"]] == [
        ("203.0.113.3", server.pk, server.client_id, "active")
    ]


def test_clients_cannot_read_pools(alice_user: Any, pool: Pool) -> None:
    api = token_client(alice_user)
    assert api.get("/api/v1/staff/ipam/pools/").status_code == 403
    assert api.get(f"/api/v1/staff/ipam/pools/{pool.pk}/").status_code == 403


def test_the_same_prefix_at_another_provider_is_independent(alice: Any, server: Service) -> None:
    other = f.provider("Other Hosting")
    make_pool(other, "203.0.113.0/29")  # the same prefix, another provider: independent
    assert active(server) == [("203.0.113.3", True)]


def test_a_cancelled_order_gives_the_money_and_the_address_back(alice: Any, server: Service) -> None:
    from openbill.ipam import sweeps
    from openbill.provisioning.models import ProvisioningTask

    alice.refresh_from_db()
    before = alice.balance_amount
    ipam.order_additional(server, actor=ALICE, now=DAY_11)
    task = ProvisioningTask.objects.get(service=server, operation="reconfiguration")
    # The sweep leaves an address alone while its reconfiguration runs.
    assert sweeps.run(DAY_11)["released"] == 0

    staff_ops.staff_cancel(task, actor=Actor("staff", None, "staff@test.test"), now=DAY_11)
    assert sweeps.run(DAY_11)["released"] == 1

    alice.refresh_from_db()
    assert alice.balance_amount == before == ledger_total(alice)
    assert active(server) == [("203.0.113.3", True)]
    assert Address.objects.get(address="203.0.113.4").state == AddressState.QUARANTINE
    assert sweeps.run(DAY_11)["released"] == 0


def test_the_tab_reads_a_constant_number_of_queries(
    alice_user: Any, server: Service, pool: Pool, django_assert_max_num_queries: Any
) -> None:
    http = HttpClient()
    http.force_login(alice_user)
    url = reverse("clientarea:service_ips", args=[server.pk])
    http.get(url)
    with django_assert_max_num_queries(14) as one:
        http.get(url)
    pool.excluded = ""
    pool.save()
    for n in range(3):
        Address.objects.create(pool=pool, address=f"203.0.113.{4 + n}", version=4, service=server, allocated_at=START)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = http.get(url).content.decode()
    assert "203.0.113.6" in page


def test_a_tariff_without_additional_ipv4_has_no_quote_404(alice_user: Any, alice: Any, provider: Any) -> None:
    from openbill.api.tests.conftest import token_client

    plain = f.tariff(f.product_type(provider, "vds"), "VPS-plain", prices={"month": "5.00"})
    service = f.service(alice, plain, name="plain")
    answer = token_client(alice_user).get(f"/api/v1/services/{service.pk}/ips/quote/")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "This tariff has no additional IPv4 addresses."
