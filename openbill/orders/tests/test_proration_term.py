"""A change is prorated against the term the client actually paid for ``[now, expiry)``, never
against the period of the next renewal: switching the renewal period between changes must not
turn a paid month into money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbill.billing.audit import run_audit
from openbill.billing.models import LedgerEntry
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.money import round_amount
from openbill.core.tests import factories as f
from openbill.orders import actions
from openbill.orders.pricing import quote_change
from openbill.orders.tests.test_changes import pay_last_period, priced
from openbill.provisioning import actions as provisioning
from openbill.provisioning.models import ProvisioningTask, TaskState
from openbill.services import actions as service_actions
from openbill.services.choices import Operation
from openbill.services.models import Service, ServiceAddon

ALICE = Actor("client", None, "alice")
MODULE = Actor.system("module")
PAID_UNTIL = datetime(2024, 3, 31, tzinfo=UTC)
NOW = datetime(2024, 3, 16, tzinfo=UTC)


def balance(client: Client) -> Decimal:
    client.refresh_from_db()
    return client.balance_amount


def ledger_sum(client: Client) -> Decimal:
    return sum(LedgerEntry.objects.filter(client=client).values_list("amount", flat=True), Decimal(0))


def change(service: Service, **kwargs: Any) -> None:
    """One client edit, with the module confirming the reconfiguration it opens."""
    actions.change_service(service, actor=ALICE, now=NOW, **kwargs)
    service.refresh_from_db()
    if service.operation == Operation.RECONFIGURATION:
        task = ProvisioningTask.objects.get(service=service, state=TaskState.QUEUED)
        ProvisioningTask.objects.filter(pk=task.pk).update(state=TaskState.RUNNING)
        provisioning.complete(task, now=NOW, result={}, actor=MODULE)


def ram(service: Service) -> Decimal:
    return ServiceAddon.objects.get(service=service, addon__resource="ram").quantity


def test_switching_the_renewal_period_between_add_on_changes_returns_no_money(alice: Any, vps_catalog: Any) -> None:
    # Given a monthly VPS with 2 GiB whose March was paid (10.00 + 1 GiB × 2.00 = 12.00)
    service = f.service(
        alice, vps_catalog["plan"], period="month", expires_at=PAID_UNTIL, addons={vps_catalog["ram"]: "2"}
    )
    pay_last_period(service)
    before = balance(alice)
    assert before == Decimal("88.00")
    # When, three times and with no time passing: renew yearly, add RAM, renew monthly, remove it
    for _cycle in range(3):
        change(service, period="year")
        change(service, addons={"ram": "9"})
        change(service, period="month")
        change(service, addons={"ram": "2"})
    # Then the client has what it had: the month it paid for is still the month it paid for
    assert ram(service) == Decimal(2)
    assert balance(alice) == before
    assert ledger_sum(alice) == before
    assert run_audit() == []


def test_an_add_on_change_during_a_monthly_term_costs_the_monthly_price_whatever_the_renewal_period(
    alice: Any, vps_catalog: Any
) -> None:
    service = f.service(
        alice, vps_catalog["plan"], period="month", expires_at=PAID_UNTIL, addons={vps_catalog["ram"]: "2"}
    )
    pay_last_period(service)
    change(service, period="year")
    # March's monthly prices over 15 of its 31 days (not 20.00 a year per GiB × 15/366):
    # (10.00 + 3 × 2.00) × 15/31 = 7.74 − (10.00 + 1 × 2.00) × 15/31 = 5.81
    quote = quote_change(priced(service), now=NOW, addons={"ram": "4"})
    assert quote.total == Decimal("1.93")


def test_removing_an_add_on_never_credits_more_than_was_paid_for_the_term(alice: Any, vps_catalog: Any) -> None:
    # The month was paid with 2 GiB; the catalog's RAM then became dearer (5.00 a month).
    service = f.service(
        alice, vps_catalog["plan"], period="month", expires_at=PAID_UNTIL, addons={vps_catalog["ram"]: "2"}
    )
    pay_last_period(service)
    vps_catalog["ram"].prices.filter(period="month").update(unit_price=Decimal("5.00"))
    before = balance(alice)
    change(service, addons={"ram": "1"})
    # Paid for the GiB: 2.00 × 15/31 = 0.97 — not today's 5.00 × 15/31 = 2.42.
    assert balance(alice) - before == Decimal("0.97")
    assert ledger_sum(alice) == balance(alice)


# --- the property ---------------------------------------------------------------------------

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("period"), st.sampled_from(["month", "year"])),
        st.tuples(st.just("ram"), st.integers(min_value=1, max_value=16)),
        st.tuples(st.just("os"), st.sampled_from(["debian", "windows"])),
        st.tuples(st.just("tariff"), st.sampled_from(["small", "big"])),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(steps=STEPS, paid_period=st.sampled_from(["month", "year"]), start_ram=st.integers(min_value=1, max_value=16))
def test_no_sequence_of_changes_without_time_passing_gives_the_client_money(
    provider: Any, vps_catalog: Any, steps: list[tuple[str, Any]], paid_period: str, start_ram: int
) -> None:
    small = vps_catalog["plan"]
    big = small.changeable_to.first()
    if big is None:
        big = f.tariff(small.product_type, "VPS-2", prices={"month": "20.00", "year": "190.00"})
        f.addon(big, "ram", prices={"month": "3.00", "year": "25.00"}, included=1, minimum=1, maximum=32)
        f.enum_addon(big, "os", {"debian": {"month": "0", "year": "0"}, "windows": {"month": "12.00", "year": "99.00"}})
        small.changeable_to.add(big)
        big.changeable_to.add(small)
    tariffs = {"small": small, "big": big}
    client = f.client(provider, f"c{Client.objects.count()}@test.test", balance="10000.00")
    expires = PAID_UNTIL if paid_period == "month" else datetime(2024, 12, 31, tzinfo=UTC)
    service = f.service(
        client,
        small,
        period=paid_period,
        expires_at=expires,
        addons={vps_catalog["ram"]: str(start_ram), vps_catalog["os"]: "1"},
    )
    ServiceAddon.objects.filter(service=service, addon=vps_catalog["os"]).update(
        enum_item=vps_catalog["os"].items.get(code="debian")
    )
    pay_last_period(service)
    before = balance(client)
    paid_for_the_rest = round_amount(service_actions.unused_amount(service, now=NOW), "USD")

    for kind, value in steps:
        if kind == "period":
            if service.period != value:
                change(service, period=value)
        elif kind == "tariff":
            if tariffs[value].pk != service.tariff_id:
                change(service, tariff=tariffs[value].pk)
        else:
            wanted = str(value)
            current = ServiceAddon.objects.get(service=service, addon__resource=kind)
            if (current.enum_item.code if current.enum_item else f"{current.quantity.normalize():f}") != wanted:
                change(service, addons={kind: wanted})
        gained = balance(client) - before
        # Never more back than was paid for the time left, counting a deletion's refund now.
        assert gained + round_amount(service_actions.unused_amount(service, now=NOW), "USD") <= paid_for_the_rest
        assert gained <= paid_for_the_rest

    # Back to the configuration the client started with: it has not gained anything.
    if service.tariff_id != small.pk:
        change(service, tariff=small.pk)
    wanted_back = {"ram": str(start_ram), "os": "debian"}
    current = {
        line.addon.resource: line.enum_item.code if line.enum_item else f"{line.quantity.normalize():f}"
        for line in ServiceAddon.objects.filter(service=service).select_related("addon", "enum_item")
    }
    if current != wanted_back:
        change(service, addons=wanted_back)
    if service.period != paid_period:
        change(service, period=paid_period)
    assert balance(client) <= before
    assert ledger_sum(client) == balance(client)
    assert run_audit() == []
