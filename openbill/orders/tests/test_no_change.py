"""Confirming an edit that changes nothing starts nothing and charges nothing, and an add-on the
client did not touch (a metered traffic allowance, say) keeps its value through any change."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, LedgerEntry
from openbill.catalog.models import BillingType
from openbill.core.actors import Actor
from openbill.core.errors import NothingChanged
from openbill.core.tests import factories as f
from openbill.orders import actions
from openbill.orders.models import OrderLine
from openbill.orders.pricing import quote_change
from openbill.orders.tests.test_api import api_for
from openbill.orders.tests.test_views import browser_for
from openbill.provisioning.models import ProvisioningTask
from openbill.services.models import Service, ServiceAddon, ServiceEvent
from openbill.services.selectors import with_pricing

ALICE = Actor("client", None, "alice")


@pytest.fixture
def web_server(alice: Any, vps_catalog: Any) -> Service:
    """As the demo's "Web server": 2 GiB, Debian, and a traffic allowance set to 0 GiB although
    the tariff includes 1000 by default."""
    traffic = f.addon(
        vps_catalog["plan"],
        "traffic",
        billing_type=BillingType.STATISTICS,
        included=1000,
        minimum=0,
        maximum=100000,
        overage_price=Decimal("0.01"),
        unit="GiB",
    )
    os_addon = vps_catalog["os"]
    service = f.service(
        alice,
        vps_catalog["plan"],
        expires_at=timezone.now() + timedelta(days=15),
        addons={vps_catalog["ram"]: "2", traffic: "0", os_addon: "1"},
        auto_renew=True,
    )
    ServiceAddon.objects.filter(service=service, addon=os_addon).update(enum_item=os_addon.items.get(code="debian"))
    return service


def values(service: Service) -> dict[str, str]:
    return {
        line.addon.resource: line.enum_item.code if line.enum_item else f"{line.quantity.normalize():f}"
        for line in ServiceAddon.objects.filter(service=service).select_related("addon", "enum_item")
    }


def nothing_happened(service: Service, alice: Any) -> None:
    service.refresh_from_db()
    assert not service.operation
    assert values(service) == {"ram": "2", "traffic": "0", "os": "debian"}
    assert not OrderLine.objects.filter(service=service).exists()
    assert not Expense.objects.filter(service=service).exists()
    assert not LedgerEntry.objects.filter(service=service).exists()
    assert not ProvisioningTask.objects.filter(service=service).exists()
    assert not ServiceEvent.objects.filter(service=service, kind__in=["changed", "settings changed"]).exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_a_quote_for_the_same_values_is_no_change(web_server: Service) -> None:
    priced = with_pricing(Service.objects.filter(pk=web_server.pk)).get()
    quote = quote_change(priced, now=timezone.now(), addons={"ram": "2", "os": "debian"})
    assert not quote.changed
    assert quote.lines == []


def test_a_change_of_ram_keeps_the_traffic_allowance(web_server: Service, alice: Any) -> None:
    actions.change_service(web_server, actor=ALICE, now=timezone.now(), addons={"ram": "3"})
    assert values(web_server) == {"ram": "3", "traffic": "0", "os": "debian"}


def test_a_change_with_no_difference_creates_nothing(web_server: Service, alice: Any) -> None:
    with pytest.raises(NothingChanged):
        actions.change_service(
            web_server,
            actor=ALICE,
            now=timezone.now(),
            addons={"ram": "2", "os": "debian"},
            auto_renew=True,
            period="month",
        )
    nothing_happened(web_server, alice)


def untouched_form(service: Service) -> dict[str, str]:
    """The edit form as the page fills it in, submitted with Confirm."""
    return {
        "auto_renew": "on",
        "period": "month",
        "tariff": str(service.tariff_id),
        "addon_ram": "2",
        "addon_os": "debian",
        "request_key": "edit-untouched",
        "expected_total": "0.00",
        "action": "confirm",
    }


@pytest.mark.parametrize(("language", "message"), [("en", "Nothing changed."), ("es", "No ha cambiado nada.")])
def test_confirming_the_untouched_edit_form_says_nothing_changed(
    web_server: Service, alice: Any, alice_user: Any, language: str, message: str
) -> None:
    alice_user.language = language  # the language saved on the user is the one of its pages
    alice_user.save(update_fields=["language"])
    browser = browser_for(alice_user)
    url = reverse("clientarea:service_edit", args=[web_server.pk])
    assert browser.get(url).status_code == 200
    response = browser.post(url, untouched_form(web_server), follow=True)
    assert response.redirect_chain[-1][0] == reverse("clientarea:service", args=[web_server.pk])
    assert [str(m) for m in response.context["messages"]] == [message]
    nothing_happened(web_server, alice)


def test_the_api_answers_400_nothing_changed_for_a_change_with_no_difference(
    web_server: Service, alice: Any, alice_user: Any
) -> None:
    api = api_for(alice_user)
    response = api.post(
        f"/api/v1/services/{web_server.pk}/change/",
        {"addons": {"ram": "2", "os": "debian"}, "auto_renew": True, "period": "month"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Nothing changed.", "code": "nothing_changed"}
    nothing_happened(web_server, alice)
    assert run_audit() == []


@pytest.fixture
def retired_os_server(web_server: Service, vps_catalog: Any) -> Service:
    """The web server still runs FreeBSD, an OS no longer offered (a disabled item)."""
    ServiceAddon.objects.filter(service=web_server, addon=vps_catalog["os"]).update(
        enum_item=vps_catalog["os"].items.get(code="freebsd")
    )
    return web_server


def test_a_change_keeps_a_retired_value_the_client_did_not_touch(retired_os_server: Service, alice: Any) -> None:
    actions.change_service(retired_os_server, actor=ALICE, now=timezone.now(), addons={"ram": "3"})
    assert values(retired_os_server) == {"ram": "3", "traffic": "0", "os": "freebsd"}


def test_confirming_the_untouched_edit_form_keeps_a_retired_value(
    retired_os_server: Service, alice: Any, alice_user: Any
) -> None:
    browser = browser_for(alice_user)
    url = reverse("clientarea:service_edit", args=[retired_os_server.pk])
    page = browser.get(url).content.decode()
    # The form offers the current value, selected, so that an untouched form submits it.
    assert re.search(r'<option value="freebsd"[^>]*selected', page), page
    form = {**untouched_form(retired_os_server), "addon_os": "freebsd"}
    response = browser.post(url, form, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Nothing changed."]
    assert values(retired_os_server) == {"ram": "2", "traffic": "0", "os": "freebsd"}
    assert not OrderLine.objects.filter(service=retired_os_server).exists()
