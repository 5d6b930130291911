"""Alice orders a server and a domain, pays the cart from her balance, reads the instruction
manual and extends the server for a year from the dashboard widget — in a real browser."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from openbill.billing.actions import post_entry
from openbill.billing.models import EntryKind
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.core.timeutil import add_period
from openbill.services.actions import complete_operation
from openbill.services.choices import Operation
from openbill.services.models import Service

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(provider: Any, vps_type: Any, vps_plan: Any, alice: Any) -> dict[str, Any]:
    vps_type.instruction_template = (
        "Your server {{ service.name }} is ready.\nHost name: {{ params.hostname }}\nOS: {{ addons.os }}"
    )
    vps_type.save()
    f.parameter(vps_type, "hostname", kind="hostname")
    f.addon(
        vps_plan,
        "ram",
        name="RAM",
        unit="GiB",
        prices={"month": "2.00", "year": "20.00"},
        included=1,
        minimum=1,
        maximum=16,
    )
    f.enum_addon(
        vps_plan,
        "os",
        {"debian": {"month": "0", "year": "0"}, "windows": {"month": "15.00", "year": "150.00"}},
        name="OS",
    )
    domains = f.product_type(provider, "domain", name="Domains")
    f.parameter(domains, "domain", kind="domain")
    f.tariff(domains, ".com", prices={"year": "12.00"})
    post_entry(
        alice,
        amount=Decimal("900.00"),
        kind=EntryKind.PAYMENT,
        key="test:more",
        description=Text.verbatim("Top-up"),
        now=timezone.now(),
    )
    return {"plan": vps_plan}


def log_in(page: Page, url: str, user: Any) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Active Services")).to_be_visible()


def test_alice_orders_pays_the_cart_reads_the_manual_and_extends_for_a_year(
    live_server: Any, page: Page, alice: Any, alice_user: Any, shop: dict[str, Any]
) -> None:
    log_in(page, live_server.url, alice_user)

    # A virtual server with extra RAM and Windows: the exact price before deciding.
    page.goto(f"{live_server.url}/order/")
    page.get_by_role("link", name="Order VPS-1").click()
    page.get_by_label("Month — 10.00 USD").check()
    page.get_by_label("RAM (GiB)").fill("3")
    page.get_by_label("OS", exact=True).select_option("windows")
    page.get_by_label("Hostname").fill("web1.example.com")
    page.get_by_role("button", name="Update price").click()
    # 10.00 + 2 GiB × 2.00 + Windows 15.00 = 29.00 a month, + 5.00 setup.
    expect(page.get_by_test_id("period-amount")).to_have_text("29.00 USD")
    expect(page.get_by_test_id("total")).to_have_text("34.00 USD")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart")).to_contain_text("VPS-1")

    # A domain (IDN, stored in punycode) into the cart too.
    page.goto(f"{live_server.url}/order/")
    page.get_by_role("link", name="Order .com").click()
    page.get_by_label("Domain").fill("bücher.com")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart-total")).to_have_text("46.00 USD")

    # Both wait as Ordered in the Orders page's pending-payment block.
    page.goto(f"{live_server.url}/orders/")
    expect(page.get_by_test_id("pending")).to_contain_text(".com (.com, Year)")

    # Check out, paying from the balance.
    page.goto(f"{live_server.url}/cart/")
    page.get_by_role("button", name="Pay from balance").click()
    expect(page.get_by_text("is paid. Activation has started.")).to_be_visible()
    paid = page.get_by_test_id("paid")
    # Named after the host name and the domain name it was ordered with.
    expect(paid).to_contain_text("web1.example.com")
    expect(paid).to_contain_text("bücher.com")
    expect(page.get_by_test_id("pending")).to_contain_text("Nothing is waiting for payment.")
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("954.00")
    assert Service.objects.get(tariff__name=".com").parameters == {"domain": "xn--bcher-kva.com"}

    # No instruction manual while the server is being activated.
    server = Service.objects.get(tariff=shop["plan"])
    expect(
        paid.locator("tr", has_text="web1.example.com").get_by_role("link", name="Instruction Manual")
    ).to_have_count(0)

    # Staff complete the activation from the manual queue; the paid month starts now.
    complete_operation(server.pk, Operation.ACTIVATION, actor=Actor.system("staff"), now=timezone.now())
    server.refresh_from_db()
    expiry = server.expires_at
    assert expiry is not None

    # The instruction manual, rendered with the server's own details.
    page.reload()
    paid.locator("tr", has_text="web1.example.com").get_by_role("link", name="Instruction Manual").click()
    expect(page.get_by_test_id("instructions")).to_contain_text("Host name: web1.example.com")
    expect(page.get_by_test_id("instructions")).to_contain_text("OS: Windows")

    # From the dashboard widget's Renew cost link: extend for a year.
    page.goto(f"{live_server.url}/")
    row = page.get_by_test_id("active-services").locator(f'tr[data-service-id="{server.pk}"]')
    row.get_by_role("link", name="29.00 USD/month").click()
    expect(page.get_by_role("heading", name="Extend validity period: web1.example.com")).to_be_visible()
    # 500 + 2 GiB × 20.00 + Windows 150.00 = 690 a year.
    page.get_by_label("Year — 690 USD", exact=False).check()
    page.get_by_role("button", name="Pay from balance").click()
    new_expiry = add_period(expiry, "year", alice.provider.tz)
    expect(page.get_by_text(f"The service is extended until {new_expiry.date().isoformat()}.")).to_be_visible()
    server.refresh_from_db()
    assert server.expires_at == new_expiry
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("264.00")
