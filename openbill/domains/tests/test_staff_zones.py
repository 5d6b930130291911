"""Staff's zone pages: every zone with its registrar and domains; one zone's price grid for
1-10 years, saved in one go (empty: not sold); a renewal price that renewals charge stays."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from openbill.domains.actions import order_domain
from openbill.domains.models import ZonePrice

from .test_ordering import ALICE

pytestmark = pytest.mark.django_db


def grid(zone: Any) -> dict[str, str]:
    data = {}
    for row in ZonePrice.objects.filter(zone=zone):
        data[f"{row.action}_{row.years}"] = f"{row.amount:f}"
    return data


def test_staff_see_the_zones_and_edit_a_zones_prices(
    client: Any, staff: Any, settings: Any, alice: Any, test_zone: Any, owner_contact: Any
) -> None:
    settings.OPENBILL_STAFF_2FA = False
    order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    client.force_login(staff)

    page = client.get("/staff/domains/zones/").content.decode()
    assert 'data-zone="test"' in page and "Test registry" in page and "10.00 USD" in page

    page = client.get(f"/staff/domains/zones/{test_zone.pk}/").content.decode()
    assert 'name="register_10"' in page and "ordered: 1" in page

    data = {**grid(test_zone), "register_7": "63.00"}
    del data["transfer_2"]
    saved = client.post(f"/staff/domains/zones/{test_zone.pk}/", data)
    assert saved.status_code == 302
    prices = {(p.action, p.years): p.amount for p in ZonePrice.objects.filter(zone=test_zone)}
    assert prices[("register", 7)] == Decimal("63.00") and ("transfer", 2) not in prices

    kept = dict(data)
    del kept["renew_1"]
    refused = client.post(f"/staff/domains/zones/{test_zone.pk}/", kept)
    assert refused.status_code == 400 and "do not remove it" in refused.content.decode()
    assert ZonePrice.objects.filter(zone=test_zone, action="renew", years=1).exists()


def test_clients_do_not_see_the_zone_pages(alice_http: Any, test_zone: Any) -> None:
    response = alice_http.get("/staff/domains/zones/")
    assert response.status_code == 302 and "/login" in response["Location"]
