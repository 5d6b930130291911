"""The client area's order, cart, Orders, extend, edit, top-up and payments pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openbill.billing.models import Expense, LedgerEntry
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.orders import actions
from openbill.orders.models import Order, OrderLine
from openbill.payments.models import Payment
from openbill.services.actions import complete_operation
from openbill.services.choices import Operation
from openbill.services.models import Service


def browser_for(user: Any) -> HttpClient:
    browser = HttpClient()
    browser.force_login(user)
    return browser


@pytest.fixture
def alice_browser(alice_user: Any) -> HttpClient:
    return browser_for(alice_user)


def order_form(catalog: Any, **overrides: str) -> dict[str, str]:
    data = {
        "period": "month",
        "addon_ram": "4",
        "addon_os": "windows",
        "param_hostname": "web1.example.com",
        "request_key": "form-1",
        "name": "",
        "action": "cart",
    }
    data.update(overrides)
    return data


def test_the_order_page_shows_the_exact_price(alice_browser: HttpClient, vps_catalog: Any) -> None:
    url = reverse("clientarea:order_new", args=[vps_catalog["plan"].pk])
    page = alice_browser.post(url, order_form(vps_catalog, action="quote"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "31.00 USD" in text and "36.00 USD" in text
    partial = alice_browser.post(url, order_form(vps_catalog, action="quote"), HTTP_HX_REQUEST="true")
    assert 'id="price"' in partial.content.decode() and "<html" not in partial.content.decode()


def test_a_double_submitted_order_form_adds_one_line(alice_browser: HttpClient, vps_catalog: Any) -> None:
    url = reverse("clientarea:order_new", args=[vps_catalog["plan"].pk])
    alice_browser.post(url, order_form(vps_catalog))
    alice_browser.post(url, order_form(vps_catalog))
    assert OrderLine.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"period": "3years"}, "Select a valid choice"),
        ({"addon_ram": "99"}, "RAM must be between 1 and 16."),
        ({"addon_os": "freebsd"}, "Select a valid choice"),
        ({"param_hostname": "bad host"}, "Enter a valid domain name."),
    ],
)
def test_bad_input_shows_on_the_form_and_changes_nothing(
    alice_browser: HttpClient, alice: Any, vps_catalog: Any, overrides: dict[str, str], message: str
) -> None:
    url = reverse("clientarea:order_new", args=[vps_catalog["plan"].pk])
    page = alice_browser.post(url, order_form(vps_catalog, action="pay", **overrides))
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not Service.objects.exists() and not Order.objects.exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00")


def test_pay_now_without_funds_sends_to_top_up_with_the_deficit(bob_user: Any, bob: Any, vps_catalog: Any) -> None:
    browser = browser_for(bob_user)
    url = reverse("clientarea:order_new", args=[vps_catalog["plan"].pk])
    response = browser.post(url, order_form(vps_catalog, period="year", action="pay"))
    order = Order.objects.get()
    assert response["Location"] == reverse("clientarea:topup") + f"?amount=665.00&order={order.pk}"
    page = browser.get(response["Location"])
    assert "665 USD is missing" in page.content.decode()
    assert "Ordered" in browser.get(reverse("clientarea:orders")).content.decode()
    assert not Expense.objects.exists()


def test_the_orders_page_has_pending_and_paid_blocks(alice_browser: HttpClient, alice: Any, vps_catalog: Any) -> None:
    now = timezone.now()
    paid = actions.order_now(
        alice,
        actor=Actor.system(),
        now=now,
        tariff=vps_catalog["plan"].pk,
        period="month",
        parameters={"hostname": "a.example.com"},
    )
    actions.pay_order(paid, actor=Actor.system(), now=now)
    pending = actions.order_now(
        alice,
        actor=Actor.system(),
        now=now,
        tariff=vps_catalog["plan"].pk,
        period="year",
        parameters={"hostname": "b.example.com"},
    )
    vps_catalog["plan"].product_type.instruction_template = "Host {{ params.hostname }}"
    vps_catalog["plan"].product_type.save()
    page = alice_browser.get(reverse("clientarea:orders")).content.decode()
    assert reverse("clientarea:order_pay", args=[pending.pk]) in page
    service = paid.lines.get().service
    # The manual is offered once the service is active, not while it is being activated.
    assert reverse("clientarea:service_instructions", args=[service.pk]) not in page
    complete_operation(service.pk, Operation.ACTIVATION, actor=Actor.system(), now=now)
    page = alice_browser.get(reverse("clientarea:orders")).content.decode()
    assert reverse("clientarea:service_instructions", args=[service.pk]) in page
    manual = alice_browser.get(reverse("clientarea:service_instructions", args=[service.pk])).content.decode()
    assert "Host a.example.com" in manual


def test_a_staff_template_cannot_reach_beyond_the_services_own_values(
    alice_browser: HttpClient, alice: Any, vps_catalog: Any
) -> None:
    service = f.service(alice, vps_catalog["plan"], parameters={"hostname": "<b>x</b>"})
    ptype = vps_catalog["plan"].product_type
    for source, absent in [
        ("{{ params.hostname }}", "<b>x</b>"),  # escaped
        ("{% debug %}", "SECRET"),
        ("{% load static %}{% static 'x' %}", "/static/"),
        ("{% include 'base.html' %}", "<html"),
        ('{{ service.client|default:"" }}{{ settings.SECRET_KEY|default:"" }}', "Alice"),
    ]:
        ptype.instruction_template = source
        ptype.save()
        text = alice_browser.get(reverse("clientarea:service_instructions", args=[service.pk])).content.decode()
        body = text.split('data-testid="instructions"', 1)[1]
        assert absent not in body.split("</div>", 1)[0]


def test_extending_from_the_page_and_daily_services_go_to_top_up(
    alice_browser: HttpClient, alice: Any, vps_catalog: Any
) -> None:
    service = f.service(alice, vps_catalog["plan"], expires_at=timezone.now() + timedelta(days=3))
    url = reverse("clientarea:service_extend", args=[service.pk])
    page = alice_browser.get(url).content.decode()
    assert "10.00 USD" in page
    start = page.split('name="expected_start" value="', 1)[1].split('"', 1)[0]
    alice_browser.post(url, {"period": "month", "expected_start": start})
    alice_browser.post(url, {"period": "month", "expected_start": start})  # a double click
    assert Expense.objects.filter(service=service).count() == 1
    daily = f.service(alice, vps_catalog["plan"], period="day")
    response = alice_browser.get(reverse("clientarea:service_extend", args=[daily.pk]))
    assert response["Location"] == reverse("clientarea:topup")


def test_editing_shows_the_amount_then_charges_it(alice_browser: HttpClient, alice: Any, vps_catalog: Any) -> None:
    service = f.service(
        alice, vps_catalog["plan"], addons={vps_catalog["ram"]: "2"}, expires_at=timezone.now() + timedelta(days=15)
    )
    url = reverse("clientarea:service_edit", args=[service.pk])
    form = {
        "auto_renew": "on",
        "period": "month",
        "tariff": str(vps_catalog["plan"].pk),
        "addon_ram": "4",
        "addon_os": "debian",
        "request_key": "edit-1",
        "action": "preview",
    }
    preview = alice_browser.post(url, form).content.decode()
    total = preview.split('name="expected_total" value="', 1)[1].split('"', 1)[0]
    assert Decimal(total) > 0
    assert not LedgerEntry.objects.filter(service=service).exists()
    done = alice_browser.post(url, {**form, "action": "confirm", "expected_total": total})
    assert done.status_code == 302
    assert LedgerEntry.objects.get(service=service).amount == -Decimal(total)


def test_the_top_up_form_refuses_bad_amounts_and_starts_a_card_payment(alice_browser: HttpClient) -> None:
    url = reverse("clientarea:topup")
    for amount in ("0", "-5", "abc"):
        page = alice_browser.post(url, {"method": "card", "amount": amount})
        assert page.status_code == 200
    assert not Payment.objects.exists()
    response = alice_browser.post(url, {"method": "card", "amount": "25"})
    assert "/pay/card/checkout/" in response["Location"]
    bank = alice_browser.post(url, {"method": "bank", "amount": "30"})
    assert "Transfer 30.00 USD" in alice_browser.get(bank["Location"]).content.decode()


def test_another_clients_ids_are_404_everywhere(alice_browser: HttpClient, bob: Any, vps_catalog: Any) -> None:
    now = timezone.now()
    service = f.service(bob, vps_catalog["plan"])
    order = actions.order_now(
        bob,
        actor=Actor.system(),
        now=now,
        tariff=vps_catalog["plan"].pk,
        period="month",
        parameters={"hostname": "x.example.com"},
    )
    line = actions.place_order(
        bob,
        actor=Actor.system(),
        now=now,
        tariff=vps_catalog["plan"].pk,
        period="month",
        parameters={"hostname": "y.example.com"},
    )
    payment = Payment.objects.create(client=bob, method="bank", amount=5, currency="USD", created_at=now)
    for name, pk, method in [
        ("service_instructions", service.pk, "get"),
        ("service_extend", service.pk, "get"),
        ("service_edit", service.pk, "get"),
        ("service_configure", service.pk, "get"),
        ("order_pay", order.pk, "post"),
        ("cart_remove", line.pk, "post"),
        ("payment", payment.pk, "get"),
    ]:
        response = getattr(alice_browser, method)(reverse(f"clientarea:{name}", args=[pk]))
        assert response.status_code == 404, name
    assert (
        alice_browser.post(
            reverse("clientarea:topup"), {"method": "card", "amount": "5", "order": order.pk}
        ).status_code
        == 404
    )
    assert OrderLine.objects.filter(client=bob).count() == 2 and not Expense.objects.exists()


@pytest.mark.parametrize("name", ["orders", "cart", "payments"])
def test_list_pages_make_the_same_number_of_queries_for_n_and_2n(
    alice_browser: HttpClient, alice: Any, vps_catalog: Any, name: str
) -> None:
    def add(n: int) -> None:
        now = timezone.now()
        for _ in range(n):
            actions.place_order(
                alice,
                actor=Actor.system(),
                now=now,
                tariff=vps_catalog["plan"].pk,
                period="month",
                parameters={"hostname": "a.example.com"},
            )
            paid = actions.order_now(
                alice,
                actor=Actor.system(),
                now=now,
                tariff=vps_catalog["plan"].pk,
                period="month",
                parameters={"hostname": "b.example.com"},
            )
            actions.pay_order(paid, actor=Actor.system(), now=now)
            actions.order_now(
                alice,
                actor=Actor.system(),
                now=now,
                tariff=vps_catalog["plan"].pk,
                period="month",
                parameters={"hostname": "c.example.com"},
            )
            Payment.objects.create(client=alice, method="bank", amount=1, currency="USD", created_at=now)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_browser.get(reverse(f"clientarea:{name}")).status_code == 200
        return len(queries)

    add(2)
    first = count()
    add(2)
    assert count() == first


HOSTILE_MANUALS = [
    "<script>alert(1)</script>Welcome",
    '<img src="x" onerror="alert(1)">Welcome',
    '<a href="javascript:alert(1)" onclick="alert(1)">Welcome</a>',
    '<p style="background:url(x)" onmouseover="alert(1)">Welcome</p><iframe src="https://evil.test"></iframe>',
    "<scr<script>ipt>alert(1)</script>Welcome",
]


@pytest.mark.parametrize("source", HOSTILE_MANUALS)
def test_a_staff_template_cannot_put_script_in_the_clients_page_or_the_api(
    alice_browser: HttpClient, alice_user: Any, alice: Any, vps_catalog: Any, source: str
) -> None:
    from openbill.api.tests.conftest import token_client

    service = f.service(alice, vps_catalog["plan"])
    ptype = vps_catalog["plan"].product_type
    ptype.instruction_template = source
    ptype.save()
    page = alice_browser.get(reverse("clientarea:service_instructions", args=[service.pk])).content.decode()
    manual = page.split('data-testid="instructions"', 1)[1].split("</main>", 1)[0]
    api = token_client(alice_user).get(f"/api/v1/services/{service.pk}/instructions/").json()["text"]
    for shown in (manual, api):
        assert "Welcome" in shown
        for dangerous in ("<script", "onerror", "onclick", "onmouseover", "javascript:", "<iframe", "style="):
            assert dangerous not in shown.lower(), (dangerous, shown)


def test_a_manual_keeps_plain_formatting_links_and_line_breaks(
    alice_browser: HttpClient, alice_user: Any, alice: Any, vps_catalog: Any
) -> None:
    from openbill.api.tests.conftest import token_client

    service = f.service(alice, vps_catalog["plan"], parameters={"hostname": "<b>x</b> & Bob's"})
    ptype = vps_catalog["plan"].product_type
    ptype.instruction_template = (
        'Host: {{ params.hostname }}\nPanel: <a href="https://panel.test/">panel</a> <b>now</b>'
    )
    ptype.save()
    api = token_client(alice_user).get(f"/api/v1/services/{service.pk}/instructions/").json()["text"]
    assert api == (
        "Host: &lt;b&gt;x&lt;/b&gt; &amp; Bob's\n"
        'Panel: <a href="https://panel.test/" rel="noopener noreferrer nofollow">panel</a> <b>now</b>'
    )
    page = alice_browser.get(reverse("clientarea:service_instructions", args=[service.pk])).content.decode()
    assert api in page


def _cart_with_counted_add_ons(browser: HttpClient, vps_catalog: Any) -> None:
    plan = vps_catalog["plan"]
    f.addon(plan, "cpu", prices={"month": "3.00"}, name="CPU cores", unit="cores", included=1, minimum=1, maximum=8)
    f.addon(plan, "ipv4", prices={"month": "2.00"}, name="Extra IPv4 addresses", unit="addresses", maximum=8)
    url = reverse("clientarea:order_new", args=[plan.pk])
    form = browser.get(url).content.decode()
    assert "CPU cores (cores)" not in form and "RAM (GiB)" in form
    order = order_form(vps_catalog, addon_cpu="1", addon_ipv4="0", addon_os="debian")
    assert browser.post(url, order).status_code == 302


def test_the_cart_words_add_ons_with_their_names_units_and_plurals(alice_user: Any, vps_catalog: Any) -> None:
    browser = browser_for(alice_user)
    _cart_with_counted_add_ons(browser, vps_catalog)
    cart = browser.get(reverse("clientarea:cart")).content.decode()
    assert "RAM: 4 GiB" in cart and "CPU cores: 1 core" in cart and "OS: Debian" in cart
    assert "Extra IPv4 addresses" not in cart  # none ordered: not listed
    assert "ram:" not in cart and "cpu:" not in cart and "1 cores" not in cart

    alice_user.language = "es"
    alice_user.save(update_fields=["language"])
    assert "CPU cores: 1 núcleo" in browser.get(reverse("clientarea:cart")).content.decode()


def test_a_service_page_lists_its_add_ons_with_plurals_and_no_zeros(alice_user: Any, vps_catalog: Any) -> None:
    browser = browser_for(alice_user)
    _cart_with_counted_add_ons(browser, vps_catalog)
    service = Service.objects.get()
    page = browser.get(reverse("clientarea:service", args=[service.pk])).content.decode()
    assert "1 core<" in page and "4 GiB" in page
    assert "Extra IPv4 addresses" not in page, page[page.find("Extra IPv4") - 300 : page.find("Extra IPv4") + 100]


def test_payment_methods_show_their_names_not_their_codes(alice_user: Any, alice: Any) -> None:
    Payment.objects.create(client=alice, method="bank", amount=5, currency="USD", created_at=timezone.now())
    page = browser_for(alice_user).get(reverse("clientarea:payments")).content.decode()
    assert "<td>Bank transfer</td>" in page and "<td>bank</td>" not in page
