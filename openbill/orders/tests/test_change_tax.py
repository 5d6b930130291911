"""A change of a service carries tax as any sale does (invoicing): each line (the add-ons' charge
or credit, a tariff's credit and charge) is taxed once, after proration, at the client's rate on
the day. The Edit page, the API quote, the order line's tax details and the ledger carry the
same cents; each part is capped before tax (what was paid for it, net)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from openbill.api.tests.conftest import token_client
from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, ExpenseKind, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.invoicing.tests.helpers import VERIFIED, profile, spanish_seller
from openbill.orders import actions, selectors
from openbill.orders.models import LineKind, OrderLine
from openbill.provisioning import actions as provisioning
from openbill.provisioning.models import ProvisioningTask, TaskState
from openbill.services.models import Service, ServiceAddon
from openbill.services.renewal import renew_service

ALICE = Actor("client", None, "alice")
START = datetime(2024, 3, 1, tzinfo=UTC)
NOW = datetime(2024, 3, 17, tzinfo=UTC)  # 15 of March's 31 days left


def windows_vps(client: Any, catalog: Any) -> Service:
    """2 GiB and Windows (net catalog: 10.00 + 2.00 + 15.00 = 27.00 a month), March renewed from
    the balance as the sweep or Extend renews it (with its tax)."""
    service = f.service(
        client, catalog["plan"], period="month", expires_at=START, addons={catalog["ram"]: "2", catalog["os"]: "1"}
    )
    ServiceAddon.objects.filter(service=service, addon=catalog["os"]).update(
        enum_item=catalog["os"].items.get(code="windows")
    )
    renew_service(service, actor=ALICE, now=START)
    return service


def confirm(service: Service) -> None:
    """The module confirms the reconfiguration a change opened."""
    task = ProvisioningTask.objects.get(service=service, state=TaskState.QUEUED)
    ProvisioningTask.objects.filter(pk=task.pk).update(state=TaskState.RUNNING)
    provisioning.complete(task, now=NOW, result={}, actor=Actor.system("module"))


def balance(client: Any) -> Decimal:
    client.refresh_from_db()
    return client.balance_amount


def ledger_rows(service: Service) -> list[tuple[Decimal, Decimal]]:
    return list(LedgerEntry.objects.filter(service=service).order_by("pk").values_list("amount", "balance_after"))


def tax_parts(service: Service) -> list[list[str]]:
    line = OrderLine.objects.filter(service=service, kind=LineKind.CHANGE).order_by("pk").last()
    assert line is not None
    return [part[1:4] for part in line.details["tax"]["parts"]]


def edit_page_amounts(client: Any, service: Service, addons: dict[str, str]) -> dict[str, str]:
    """The Edit page's Preview: net, tax and total as the client reads them."""
    browser = HttpClient()
    browser.force_login(client.memberships.first().user)
    data = {
        "tariff": str(service.tariff_id),
        "period": service.period,
        "auto_renew": "on",
        "action": "preview",
        **{f"addon_{resource}": value for resource, value in addons.items()},
    }
    with time_machine.travel(NOW, tick=False):
        page = browser.post(f"/services/{service.pk}/edit/", data).content.decode()
    found = {}
    for testid in ("change-net", "change-tax", "change-total"):
        marker = f'data-testid="{testid}">'
        if marker in page:
            found[testid] = page.split(marker, 1)[1].split("<", 1)[0]
    return found


def api_quote(client: Any, service: Service, addons: dict[str, str]) -> dict[str, Any]:
    api = token_client(client.memberships.first().user)
    with time_machine.travel(NOW, tick=False):
        response = api.post(f"/api/v1/services/{service.pk}/change/quote/", {"addons": addons}, format="json")
    assert response.status_code == 200, response.data
    return dict(response.data)


def test_a_domestic_buyer_pays_the_seller_s_rate_on_a_change_and_gets_it_back_on_a_credit(
    provider: Any, vps_catalog: Any
) -> None:
    spanish_seller(provider)
    client = f.client(provider, "ana@test.test", balance="100.00")
    profile(client, "ES")
    service = windows_vps(client, vps_catalog)
    # March renewed: 27.00 + IVA 21% 5.67 = 32.67, the parts kept net
    march = Expense.objects.get(service=service, kind=ExpenseKind.PERIOD)
    assert march.amount == Decimal("32.67")
    assert sorted(march.components.values()) == ["10.00", "15.00", "2.00"]

    # Raising the RAM to 4 GiB: (31.00 − 27.00) × 15/31 = 15.00 − 13.06 = 1.94 net, IVA 0.41
    quote = selectors.change_quote(service, now=NOW, addons={"ram": "4"})
    assert [(line.net, line.tax, line.amount) for line in quote.lines] == [
        (Decimal("1.94"), Decimal("0.41"), Decimal("2.35"))
    ]
    assert quote.tax is not None and quote.tax.name == "IVA 21%"
    assert api_quote(client, service, {"ram": "4"}) | {"lines": None, "tariff": None, "share": None} == {
        "net": "1.94",
        "tax": "0.41",
        "tax_name": "IVA 21%",
        "total": "2.35",
        "currency": "EUR",
        "lines": None,
        "tariff": None,
        "share": None,
    }
    assert edit_page_amounts(client, service, {"ram": "4"}) == {
        "change-net": "1.94 EUR",
        "change-tax": "0.41 EUR",
        "change-total": "2.35 EUR",
    }
    actions.change_service(service, actor=ALICE, now=NOW, addons={"ram": "4"}, expected_total=Decimal("2.35"))
    assert tax_parts(service) == [["1.94", "0.41", "2.35"]]

    # Dropping Windows: 15.00 × 15/31 = 7.26 net was paid for it; IVA −1.52 comes back with it
    confirm(service)
    actions.change_service(service, actor=ALICE, now=NOW, addons={"os": "debian"})
    assert tax_parts(service) == [["-7.26", "-1.52", "-8.78"]]
    credit = Expense.objects.get(service=service, kind=ExpenseKind.REFUND)
    assert credit.amount == Decimal("-8.78")
    assert list(credit.components.values()) == ["-7.26"]
    assert ledger_rows(service) == [
        (Decimal("-32.67"), Decimal("67.33")),
        (Decimal("-2.35"), Decimal("64.98")),
        (Decimal("8.78"), Decimal("73.76")),
    ]
    assert balance(client) == Decimal("73.76")
    assert run_audit() == []


def test_an_eu_business_buyer_is_reverse_charged_on_a_change(provider: Any, vps_catalog: Any) -> None:
    spanish_seller(provider)
    client = f.client(provider, "firma@test.test", balance="100.00")
    profile(client, "DE", kind="company", vat="DE136695976", status=VERIFIED)
    service = windows_vps(client, vps_catalog)
    assert Expense.objects.get(service=service, kind=ExpenseKind.PERIOD).amount == Decimal("27.00")

    quote = selectors.change_quote(service, now=NOW, addons={"ram": "4"})
    assert quote.tax is not None and quote.tax.scheme == "reverse_charge"
    assert [(line.net, line.tax, line.amount) for line in quote.lines] == [
        (Decimal("1.94"), Decimal("0.00"), Decimal("1.94"))
    ]
    data = api_quote(client, service, {"ram": "4"})
    assert (data["net"], data["tax"], data["total"]) == ("1.94", "0.00", "1.94")
    actions.change_service(service, actor=ALICE, now=NOW, addons={"ram": "4"}, expected_total=Decimal("1.94"))
    assert tax_parts(service) == [["1.94", "0.00", "1.94"]]
    assert OrderLine.objects.get(service=service, kind=LineKind.CHANGE).details["tax"]["scheme"] == "reverse_charge"
    assert ledger_rows(service) == [(Decimal("-27.00"), Decimal("73.00")), (Decimal("-1.94"), Decimal("71.06"))]
    assert balance(client) == Decimal("71.06")
    assert run_audit() == []


def test_gross_prices_keep_the_listed_amount_and_take_the_tax_out_of_it(provider: Any, vps_catalog: Any) -> None:
    spanish_seller(provider, gross=True)
    client = f.client(provider, "luis@test.test", balance="100.00")
    profile(client, "ES")
    service = windows_vps(client, vps_catalog)
    assert Expense.objects.get(service=service, kind=ExpenseKind.PERIOD).amount == Decimal("27.00")

    # 1.94 is the listed (gross) price of the change: IVA 1.94 × 21/121 = 0.34 is in it
    quote = selectors.change_quote(service, now=NOW, addons={"ram": "4"})
    assert [(line.net, line.tax, line.amount) for line in quote.lines] == [
        (Decimal("1.60"), Decimal("0.34"), Decimal("1.94"))
    ]
    assert edit_page_amounts(client, service, {"ram": "4"}) == {
        "change-net": "1.60 EUR",
        "change-tax": "0.34 EUR",
        "change-total": "1.94 EUR",
    }
    actions.change_service(service, actor=ALICE, now=NOW, addons={"ram": "4"}, expected_total=Decimal("1.94"))
    confirm(service)
    # Back down at the same moment: the same cents come back, tax included
    actions.change_service(service, actor=ALICE, now=NOW, addons={"ram": "2"})
    assert tax_parts(service) == [["-1.60", "-0.34", "-1.94"]]
    assert ledger_rows(service) == [
        (Decimal("-27.00"), Decimal("73.00")),
        (Decimal("-1.94"), Decimal("71.06")),
        (Decimal("1.94"), Decimal("73.00")),
    ]
    assert balance(client) == Decimal("73.00")
    assert run_audit() == []


@pytest.mark.parametrize("gross", [False, True])
def test_a_tariff_change_credits_and_charges_with_tax(provider: Any, vps_catalog: Any, gross: bool) -> None:
    spanish_seller(provider, gross=gross)
    small = vps_catalog["plan"]
    big = f.tariff(small.product_type, "VPS-2", prices={"month": "20.00"})
    small.changeable_to.add(big)
    client = f.client(provider, "eva@test.test", balance="100.00")
    profile(client, "ES")
    service = f.service(client, small, period="month", expires_at=START)
    renew_service(service, actor=ALICE, now=START)
    paid = balance(client)
    quote = selectors.change_quote(service, now=NOW, tariff=big.pk)
    # Still paid for the tariff: 10.00 × 15/31 = 4.84; the new one: 20.00 × 15/31 = 9.68. With net
    # prices the month cost 12.10 with IVA, 5.85 of it for the days left: 4.84 + IVA 1.02 = 5.86
    # would give back a cent more than was paid, so the credit is the largest that does not, 5.84.
    expected = (
        [("credit", "-4.00", "-0.84", "-4.84"), ("charge", "8.00", "1.68", "9.68")]
        if gross
        else [("credit", "-4.83", "-1.01", "-5.84"), ("charge", "9.68", "2.03", "11.71")]
    )
    assert [(line.suffix, str(line.net), str(line.tax), str(line.amount)) for line in quote.lines] == expected
    actions.change_service(service, actor=ALICE, now=NOW, tariff=big.pk, expected_total=quote.total)
    assert balance(client) == paid - quote.total
    assert sorted(
        Expense.objects.filter(service=service, key__startswith="line:").values_list("amount", flat=True)
    ) == sorted(Decimal(row[3]) for row in expected)
    assert run_audit() == []
