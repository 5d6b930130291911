"""The catalog kept in memory (catalog.selectors.catalog_of) follows every change: a price,
add-on or tariff changed by staff shows in the client's lists on the next request, a change
rolled back leaves no trace, and an unchanged catalog is not read again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as HttpClient

from openbill.catalog import selectors, signals
from openbill.catalog.models import AddonPrice, CatalogRevision, PeriodPrice, TariffPlan
from openbill.core.tests import factories as f


def logged_in(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def renew_cost_in_list(http: HttpClient) -> list[str]:
    rows = http.get("/api/v1/services/").json()["results"]
    return [row["renew_cost_text"] for row in rows]


def test_a_changed_price_shows_on_the_next_request(alice: Any, alice_user: Any, vps_plan: Any) -> None:
    ram = f.addon(vps_plan, "ram", prices={"month": "2.00"})
    f.service(alice, vps_plan, addons={ram: "2"})
    http = logged_in(alice_user)
    assert renew_cost_in_list(http) == ["14.00 USD/month"]  # 10 + 2 × 2

    price = PeriodPrice.objects.get(tariff=vps_plan, period="month")
    price.price = Decimal("12.00")
    price.save()
    assert renew_cost_in_list(http) == ["16.00 USD/month"]
    assert "16.00 USD/month" in http.get("/services/").content.decode()

    AddonPrice.objects.filter(addon=ram).update(unit_price=Decimal("3.00"))
    signals.revise()  # a QuerySet.update sends no signal: its writer revises the catalog itself
    assert renew_cost_in_list(http) == ["18.00 USD/month"]

    TariffPlan.objects.filter(pk=vps_plan.pk).update(name="VPS-1 renamed")
    signals.revise()
    assert http.get("/api/v1/services/").json()["results"][0]["tariff"]["name"] == "VPS-1 renamed"


@pytest.mark.parametrize("change", ["tariff", "price", "addon", "addon_price", "enum_item", "product_type", "delete"])
def test_every_catalog_change_gives_a_new_revision(vps_plan: Any, change: str) -> None:
    os_addon = f.enum_addon(vps_plan, "os", {"debian": {"month": "1.00"}})
    before = selectors.revision()
    if change == "tariff":
        vps_plan.name = "Renamed"
        vps_plan.save()
    elif change == "price":
        PeriodPrice.objects.get(tariff=vps_plan, period="day").delete()
    elif change == "addon":
        f.addon(vps_plan, "disk")
    elif change == "addon_price":
        AddonPrice.objects.filter(addon=os_addon).first().delete()  # type: ignore[union-attr]
    elif change == "enum_item":
        item = os_addon.items.get()
        item.enabled = False
        item.save()
    elif change == "product_type":
        vps_plan.product_type.refund_unused = True
        vps_plan.product_type.save()
    else:
        os_addon.delete()
    assert selectors.revision() != before


def test_a_rolled_back_change_is_not_served(alice: Any, vps_plan: Any) -> None:
    kept = selectors.catalog_of(alice.provider_id)
    assert selectors.catalog_of(alice.provider_id) is kept  # unchanged: not read again
    with pytest.raises(RuntimeError), transaction.atomic():
        price = PeriodPrice.objects.get(tariff=vps_plan, period="month")
        price.price = Decimal("99.00")
        price.save()
        inside = selectors.catalog_of(alice.provider_id)  # this transaction's own view
        assert {p.period: p.price for p in inside.tariffs[vps_plan.pk].prices.all()}["month"] == Decimal("99.00")
        raise RuntimeError("rolled back")
    after = selectors.catalog_of(alice.provider_id)
    prices = {p.period: p.price for p in after.tariffs[vps_plan.pk].prices.all()}
    assert prices["month"] == Decimal("10.00")
    # A later change cannot meet the rolled-back revision again: each is a fresh token.
    assert CatalogRevision.objects.get(pk=1).token == selectors.revision()


def test_a_row_whose_tariff_is_outside_the_providers_catalog_is_still_priced(alice: Any, alice_user: Any) -> None:
    # A tariff of another provider (a service moved between providers by staff): priced from the
    # database, not missing from the list.
    elsewhere = f.provider("Other Hosting")
    plan = f.tariff(f.product_type(elsewhere, "vds"), "Far", prices={"month": "7.00"})
    disk = f.addon(plan, "disk", prices={"month": "0.50"})
    f.service(alice, plan, addons={disk: "4"})
    assert renew_cost_in_list(logged_in(alice_user)) == ["9.00 USD/month"]
