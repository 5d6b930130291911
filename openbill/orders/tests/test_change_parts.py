"""A change credits each part of the service (the base tariff, each add-on) at most what is still
paid for that part for ``[now, expiry)``, net of earlier credits — never another part's money.

Every charge keeps what it paid per part (``Expense.components``): the first period from the
order, each renewal, each change's charge and credit. A cap on the total alone lets an add-on
raised at one price and another lowered after the catalog changed give back money paid for a part
the client keeps; these tests fail with that cap alone (seen: replace the per-part ``most`` in
``orders.pricing.quote_change`` by the old total)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, ExpenseKind, LedgerEntry
from openbill.billing.selectors import paid_parts
from openbill.catalog.models import AddonPrice, PeriodPrice
from openbill.clients.models import Client
from openbill.core.money import round_amount
from openbill.core.tests import factories as f
from openbill.orders import actions
from openbill.orders.tests.test_changes import pay_last_period
from openbill.orders.tests.test_proration_term import ALICE, NOW, PAID_UNTIL, balance, change, ledger_sum
from openbill.services import actions as service_actions
from openbill.services.models import Service, ServiceAddon


def windows_vps(client: Any, catalog: Any, *, ram: str = "2") -> Service:
    """A monthly VPS with ``ram`` GiB and Windows, its March paid at the catalog's prices:
    10.00 + (ram − 1) × 2.00 + 15.00."""
    service = f.service(
        client, catalog["plan"], period="month", expires_at=PAID_UNTIL, addons={catalog["ram"]: ram, catalog["os"]: "1"}
    )
    ServiceAddon.objects.filter(service=service, addon=catalog["os"]).update(
        enum_item=catalog["os"].items.get(code="windows")
    )
    pay_last_period(service)
    return service


def parts_of(expense: Expense, catalog: Any) -> dict[str, str]:
    names = {f"addon:{catalog['ram'].pk}": "ram", f"addon:{catalog['os'].pk}": "os", "tariff": "tariff"}
    return {names[part]: amount for part, amount in expense.components.items()}


def still_paid(service: Service, catalog: Any) -> dict[str, Fraction]:
    """What is still paid for each part for [NOW, expiry), exact."""
    names = {f"addon:{catalog['ram'].pk}": "ram", f"addon:{catalog['os'].pk}": "os", "tariff": "tariff"}
    return {names[part]: amount for part, amount in paid_parts(service, now=NOW).parts.items()}


def test_the_first_period_and_each_renewal_keep_what_they_paid_per_part(alice: Any, vps_catalog: Any) -> None:
    service = windows_vps(alice, vps_catalog, ram="3")
    march = Expense.objects.get(service=service, kind=ExpenseKind.PERIOD)
    # 10.00 + 2 billable GiB × 2.00 + Windows 15.00 = 29.00, each part as paid.
    assert march.amount == Decimal("29.00")
    assert parts_of(march, vps_catalog) == {"tariff": "10.00", "ram": "4.00", "os": "15.00"}


def test_an_order_s_first_period_keeps_its_parts(alice: Any, vps_catalog: Any) -> None:
    alice.balance_amount = Decimal("100.00")
    alice.save(update_fields=["balance_amount"])
    order = actions.order_now(
        alice,
        actor=ALICE,
        now=NOW,
        tariff=vps_catalog["plan"].pk,
        period="month",
        addons={"ram": "4", "os": "windows"},
        parameters={"hostname": "web.example.com"},
    )
    actions.pay_order(order, actor=ALICE, now=NOW)
    first = Expense.objects.get(service__order_lines__order=order, kind=ExpenseKind.PERIOD)
    assert first.amount == Decimal("31.00")  # 10.00 + 3 × 2.00 + 15.00
    assert parts_of(first, vps_catalog) == {"tariff": "10.00", "ram": "6.00", "os": "15.00"}


def test_lowering_an_add_on_never_gives_back_another_part_s_money(alice: Any, vps_catalog: Any) -> None:
    # Given March paid with 2 GiB and Windows (10.00 + 2.00 + 15.00 = 27.00), 15 of 31 days left
    service = windows_vps(alice, vps_catalog)
    before = balance(alice)
    assert before == Decimal("73.00")
    # and then the catalog changed: the base price is now 0.00, Windows 40.00 a month
    PeriodPrice.objects.filter(tariff=vps_catalog["plan"], period="month").update(price=Decimal("0.00"))
    AddonPrice.objects.filter(addon=vps_catalog["os"], period="month", enum_item__code="windows").update(
        unit_price=Decimal("40.00")
    )
    # When the client raises the RAM to 9 GiB (8 billable: 8 × 2.00 × 15/31 = 7.74 − 0.97)
    change(service, addons={"ram": "9"})
    raised = Expense.objects.get(service=service, kind=ExpenseKind.CHANGE)
    assert raised.amount == Decimal("6.78")  # 27.10 − 20.32: each configuration's value rounded once
    assert parts_of(raised, vps_catalog) == {"ram": "6.78"}
    # and then drops Windows, valued today at 40.00 × 15/31 = 19.35
    change(service, addons={"os": "debian"})
    # Then it gets back what is still paid for Windows, 15.00 × 15/31 = 7.26 — not 12.10, which a
    # cap on the total (paid for the time left 19.84 − today's value of what it keeps 7.74) allows
    credit = Expense.objects.get(service=service, kind=ExpenseKind.REFUND)
    assert credit.amount == Decimal("-7.26")
    assert parts_of(credit, vps_catalog) == {"os": "-7.26"}
    assert round_amount(still_paid(service, vps_catalog)["os"], "USD") == 0
    # And lowering the RAM back gives back what the raise paid, less the GiB kept (0.97 at 2.00)
    change(service, addons={"ram": "2"})
    lowered = Expense.objects.filter(service=service, kind=ExpenseKind.REFUND).order_by("pk").last()
    assert lowered is not None
    assert lowered.amount == Decimal("-6.77")
    rows = list(
        LedgerEntry.objects.filter(client=alice, service=service).order_by("pk").values_list("amount", "balance_after")
    )
    assert rows == [
        (Decimal("-27.00"), Decimal("73.00")),
        (Decimal("-6.78"), Decimal("66.22")),
        (Decimal("7.26"), Decimal("73.48")),
        (Decimal("6.77"), Decimal("80.25")),
    ]
    # The client gave up Windows (7.26 still paid for it) and got 7.25 back in all: never more.
    assert balance(alice) - before == Decimal("7.25")
    assert ledger_sum(alice) == balance(alice)
    assert all(round_amount(amount, "USD") >= 0 for amount in still_paid(service, vps_catalog).values())
    assert run_audit() == []


def test_a_tariff_change_credits_each_part_what_is_still_paid_for_it(alice: Any, vps_catalog: Any) -> None:
    small = vps_catalog["plan"]
    big = f.tariff(small.product_type, "VPS-2", prices={"month": "20.00"})
    f.addon(big, "ram", prices={"month": "3.00"}, included=1, minimum=1, maximum=32)
    small.changeable_to.add(big)
    service = f.service(alice, small, period="month", expires_at=PAID_UNTIL, addons={vps_catalog["ram"]: "3"})
    pay_last_period(service)  # 10.00 + 2 × 2.00 = 14.00
    change(service, addons={"ram": "5"})  # + 2 GiB × 2.00 × 15/31 = 1.94 (21.94... rounded once each)
    change(service, tariff=big.pk)
    credit = Expense.objects.get(service=service, kind=ExpenseKind.REFUND, key__endswith=":credit")
    charge = Expense.objects.get(service=service, kind=ExpenseKind.CHANGE, key__endswith=":charge")
    # Still paid: tariff 10.00 × 15/31 = 4.8387, RAM 4.00 × 15/31 + 1.94 = 3.8755: 8.71 in all,
    # rounded once; the parts' rounding cent goes to the largest part
    assert parts_of(credit, vps_catalog) == {"tariff": "-4.83", "ram": "-3.88"}
    assert credit.amount == Decimal("-8.71")
    # The new tariff: 20.00 × 15/31 = 9.677 and its RAM (4 billable × 3.00 × 15/31 = 5.806):
    # 15.48 rounded once, the parts' rounding cent taken from the largest
    assert charge.amount == Decimal("15.48")
    big_ram = big.addons.get(resource="ram").pk
    assert charge.components == {"tariff": "9.67", f"addon:{big_ram}": "5.81"}
    assert ledger_sum(alice) == balance(alice)
    assert run_audit() == []


def test_a_reverted_change_gives_back_its_parts_too(alice: Any, vps_catalog: Any) -> None:
    service = windows_vps(alice, vps_catalog)
    line = actions.change_service(service, actor=ALICE, now=NOW, addons={"ram": "4"})
    assert line is not None
    service.refresh_from_db()
    paid_ram = still_paid(service, vps_catalog)["ram"]
    locked = service_actions.lock(service.pk)
    actions.revert_change(locked, actor=ALICE, now=NOW, line_id=line.pk)
    reversed_ = Expense.objects.get(service=service, key__endswith=":reversed")
    assert reversed_.amount == Decimal("-1.94")
    assert parts_of(reversed_, vps_catalog) == {"ram": "-1.94"}
    assert still_paid(service, vps_catalog)["ram"] == paid_ram - Fraction(194, 100)


# --- the property, with the catalog changing between changes -----------------------------------

PRICES = st.sampled_from(["0.00", "1.00", "2.00", "5.00", "40.00"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("period"), st.sampled_from(["month", "year"])),
        st.tuples(st.just("ram"), st.integers(min_value=1, max_value=16)),
        st.tuples(st.just("os"), st.sampled_from(["debian", "windows"])),
        st.tuples(st.just("tariff"), st.sampled_from(["small", "big"])),
        st.tuples(st.just("price"), st.tuples(st.sampled_from(["base", "ram", "windows"]), PRICES)),
    ),
    min_size=1,
    max_size=8,
)


def set_price(catalog: Any, what: str, price: str) -> None:
    """Staff change a monthly price of the small tariff (no time passes)."""
    if what == "base":
        PeriodPrice.objects.filter(tariff=catalog["plan"], period="month").update(price=Decimal(price))
    elif what == "ram":
        AddonPrice.objects.filter(addon=catalog["ram"], period="month").update(unit_price=Decimal(price))
    else:
        AddonPrice.objects.filter(addon=catalog["os"], period="month", enum_item__code="windows").update(
            unit_price=Decimal(price)
        )


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
# Sequences a cap on the total alone lets through (seen failing without the per-part cap): a part
# the client keeps got cheaper, another got dearer; raise one add-on, lower the other.
@example(
    steps=[("price", ("base", "0.00")), ("price", ("windows", "40.00")), ("ram", 9), ("os", "debian")],
    start_ram=2,
    windows=True,
)
@example(
    steps=[("ram", 9), ("price", ("ram", "5.00")), ("price", ("windows", "0.00")), ("ram", 2)],
    start_ram=2,
    windows=True,
)
@given(steps=STEPS, start_ram=st.integers(min_value=1, max_value=16), windows=st.booleans())
def test_no_change_ever_credits_a_part_more_than_is_still_paid_for_it(
    provider: Any, vps_catalog: Any, steps: list[tuple[str, Any]], start_ram: int, windows: bool
) -> None:
    small = vps_catalog["plan"]
    big = small.changeable_to.first()
    if big is None:
        big = f.tariff(small.product_type, "VPS-2", prices={"month": "20.00", "year": "190.00"})
        f.addon(big, "ram", prices={"month": "3.00", "year": "25.00"}, included=1, minimum=1, maximum=32)
        f.enum_addon(big, "os", {"debian": {"month": "0", "year": "0"}, "windows": {"month": "12.00", "year": "99.00"}})
        small.changeable_to.add(big)
        big.changeable_to.add(small)
    for what, price in (("base", "10.00"), ("ram", "2.00"), ("windows", "15.00")):
        set_price(vps_catalog, what, price)
    tariffs = {"small": small, "big": big}
    client = f.client(provider, f"p{Client.objects.count()}@test.test", balance="10000.00")
    service = f.service(
        client,
        small,
        period="month",
        expires_at=PAID_UNTIL,
        addons={vps_catalog["ram"]: str(start_ram), vps_catalog["os"]: "1"},
    )
    ServiceAddon.objects.filter(service=service, addon=vps_catalog["os"]).update(
        enum_item=vps_catalog["os"].items.get(code="windows" if windows else "debian")
    )
    pay_last_period(service)
    before = balance(client)
    paid_for_the_rest = round_amount(service_actions.unused_amount(service, now=NOW), "USD")
    changes = 0
    for kind, value in steps:
        if kind == "price":
            set_price(vps_catalog, *value)
            continue
        if kind == "period":
            if service.period != value:
                change(service, period=value)
            continue
        if kind == "tariff":
            if tariffs[value].pk == service.tariff_id:
                continue
            change(service, tariff=tariffs[value].pk)
        else:
            wanted = str(value)
            current = ServiceAddon.objects.get(service=service, addon__resource=kind)
            if (current.enum_item.code if current.enum_item else f"{current.quantity.normalize():f}") == wanted:
                continue
            change(service, addons={kind: wanted})
        changes += 1
        # No part is ever given back more than was paid for it (a cent of rounding per change).
        for part, amount in paid_parts(service, now=NOW).parts.items():
            assert amount >= -Decimal("0.01") * changes, (part, amount)
        gained = balance(client) - before
        # Never more back than was paid for the time left, counting a deletion's refund now.
        assert gained + round_amount(service_actions.unused_amount(service, now=NOW), "USD") <= paid_for_the_rest
    assert ledger_sum(client) == balance(client)
    assert run_audit() == []
