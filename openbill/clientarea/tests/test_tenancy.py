"""alice can never see or act on bob's things: every client-area URL that takes an id answers 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from openbill.accounts.models import ApiToken
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.domains.actions import create_contact as create_domain_contact
from openbill.ipam.models import Address, Pool
from openbill.orders import actions as orders
from openbill.orders.models import OrderLine, OrderStatus
from openbill.payments import actions as payments
from openbill.payments import cards
from openbill.payments.tests.stripe_helpers import browser_sets_up_card
from openbill.support import actions as support
from openbill.support.models import Attachment
from openbill.vdc.models import Machine, MachineTemplate

pytestmark = pytest.mark.django_db

# The client area's own URLs that take an id, and what the id is of. Listed here, not derived.
SERVICE_URLS = ["clientarea:service", "clientarea:service_history", "clientarea:service_status"]
TOKEN_URLS = ["clientarea:token_revoke"]
# What each id-taking URL's id names; a new URL with an id must be added here (the matrix fails).
ID_OF = {
    **{name: "service" for name in (
        "service", "service_history", "service_status", "service_instructions", "service_extend",
        "service_edit", "service_configure", "service_suspend", "service_resume", "service_reboot",
        "service_delete", "service_cancel_deletion", "service_certificate", "service_statistics",
        "service_overage", "service_ips", "service_ip_order", "service_machines", "service_domain",
        "service_domain_ns", "service_domain_contacts", "service_domain_whois", "service_domain_delegation", "service_domain_verify",
        "service_domain_restore",
    )},
    **{name: "machine" for name in (
        "machine_start", "machine_stop", "machine_reboot", "machine_delete", "machine_status",
    )},
    "service_ip_ptr": "ip_address",
    "service_ip_delete": "ip_address",
    "domain_contact": "domain_contact",
    "token_revoke": "token",
    "order_pay": "order",
    "order_proforma": "order",
    "invoice_pdf": "invoice",
    "cart_remove": "cart_line",
    "payment": "payment",
    "payment_card": "card_payment",
    "payment_method_default": "saved_card",
    "payment_method_remove": "saved_card",
    "support_ticket": "ticket",
    "support_close": "ticket",
    "support_attachment": "attachment",
}  # fmt: skip
# URLs whose id names something every client of the provider may see, not a client's own thing.
SHARED_IDS = {"order_new": "a tariff of the provider's public catalog"}
# Values for the other converters of a URL with an id (services/<pk>/certificate/<part>/).
OTHER_ARGS = {"part": ["certificate", "chain", "fullchain", "key"]}

BOB = Actor("client", None, "bob")


def _get_or_post(http: HttpClient, url: str) -> int:
    """GET, or POST for a POST-only view: whichever the view answers."""
    status = http.get(url).status_code
    return http.post(url).status_code if status == 405 else status


@pytest.mark.parametrize("name", SERVICE_URLS)
def test_alice_gets_404_for_bobs_service(
    name: str, alice: Any, alice_http: HttpClient, bob: Any, vps_plan: Any
) -> None:
    mine = f.service(alice, vps_plan)
    bobs = f.service(bob, vps_plan, operation="reboot")
    assert _get_or_post(alice_http, reverse(name, args=[mine.pk])) == 200
    assert _get_or_post(alice_http, reverse(name, args=[bobs.pk])) == 404


@pytest.mark.parametrize("name", TOKEN_URLS)
def test_alice_gets_404_for_bobs_api_token(name: str, alice_http: HttpClient, bob_user: Any) -> None:
    token, raw = ApiToken.issue(bob_user, "bob's script")
    assert _get_or_post(alice_http, reverse(name, args=[token.pk])) == 404
    assert ApiToken.find(raw) is not None  # still valid: nothing changed


def _id_urls() -> list[tuple[str, list[str], list[str]]]:
    """Every client-area URL with an integer in its path (the base's and each feature's):
    its name, its integer converters and its other converters."""
    namespace = get_resolver().namespace_dict["clientarea"][1]
    found: list[tuple[str, list[str], list[str]]] = []

    def walk(patterns: list[URLPattern | URLResolver]) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
                continue
            converters = getattr(entry.pattern, "converters", {})
            ints = [key for key, conv in converters.items() if conv.regex == "[0-9]+"]
            others = [key for key in converters if key not in ints]
            if ints:
                assert entry.name, f"an unnamed client-area URL with an id: {entry.pattern}"
                found.append((entry.name, ints, others))

    walk(namespace.url_patterns)
    return found


@pytest.fixture
def bobs_things(provider: Any, bob: Any, bob_user: Any, vps_plan: Any, stripe_on: Any) -> dict[str, Any]:
    """One of each thing bob owns that a client-area URL names by id, made the way bob would."""
    now = timezone.now()
    in_cart = orders.place_order(bob, tariff=vps_plan, period="month", actor=BOB, now=now, name="in the cart")
    ordered = orders.order_now(bob, tariff=vps_plan, period="month", actor=BOB, now=now, name="ordered")
    payment, _ = payments.start_payment(
        bob,
        method="bank",
        amount="20.00",
        actor=BOB,
        now=now,
        return_url="/",
    )
    ticket = support.open_ticket(
        bob, subject="bob's question", body="?", files=[("bob.txt", b"bob's file")], actor=BOB, now=now
    )
    bobs_server = f.service(bob, vps_plan, operation="reboot")
    pool = Pool.objects.create(provider=provider, name="bob's pool", prefix="198.51.100.0/24")
    bobs_vdc = f.service(bob, f.tariff(f.product_type(provider, "vdc"), "VDC"), name="bob's data center")
    template = MachineTemplate.objects.create(provider=provider, name="Debian", image="debian.qcow2")
    machine = Machine.objects.create(
        service=bobs_vdc, name="bobs", template=template, cpu=1, ram=1, disk=10, status="running", created_at=now
    )
    # bob's invoice: his provider issues invoices from now on, he pays by bank transfer.
    from openbill.invoicing.tests.helpers import paid_by_bank, profile, spanish_seller

    spanish_seller(provider)
    profile(bob)
    invoice = paid_by_bank(bob, "5.00").documents.get()
    return {
        "invoice": invoice,
        "ip_address": Address.objects.create(
            pool=pool, address="198.51.100.7", version=4, service=bobs_server, main=True, allocated_at=now
        ),
        "vdc": bobs_vdc,
        "machine": machine,
        "ticket": ticket,
        "attachment": Attachment.objects.get(message__ticket=ticket),
        "service": f.service(bob, vps_plan, operation="reboot"),
        "token": ApiToken.issue(bob_user, "bob's script")[0],
        "cart_line": in_cart,
        "order": ordered,
        "payment": payment,
        "card_payment": payments.start_payment(
            bob, method="stripe", amount="20.00", actor=BOB, now=now, return_url="/"
        )[0],
        "saved_card": cards.save_card(bob, browser_sets_up_card(bob), make_default=True, now=now),
        "domain_contact": create_domain_contact(
            bob,
            {
                "name": "Bob",
                "street": "1 Main St",
                "city": "Madrid",
                "country": "ES",
                "phone": "+34.911234567",
                "email": "bob@test.test",
            },
        ),
    }


def test_bobs_things_are_real_and_his_own_pages_show_them(bob_http: HttpClient, bobs_things: dict[str, Any]) -> None:
    assert bob_http.get(reverse("clientarea:payment", args=[bobs_things["payment"].pk])).status_code == 200
    order_pay = reverse("clientarea:order_pay", args=[bobs_things["order"].pk])
    assert bob_http.get(order_pay).status_code == 405  # Pay is a button (a POST), not a page
    paid = bob_http.post(order_pay)
    assert (paid.status_code, paid["Location"]) == (302, reverse("clientarea:orders"))
    bobs_things["order"].refresh_from_db()
    assert bobs_things["order"].status == OrderStatus.PAID
    assert bob_http.post(reverse("clientarea:cart_remove", args=[bobs_things["cart_line"].pk])).status_code == 302
    assert not OrderLine.objects.filter(pk=bobs_things["cart_line"].pk).in_cart().exists()


def test_every_id_url_of_the_client_area_is_404_for_a_client_who_owns_nothing(
    provider: Any, bobs_things: dict[str, Any]
) -> None:
    # Given bob owns a service, a token, a cart line, an order and a payment, and carol owns nothing,
    carol = f.client(provider, "carol@test.test", balance="100.00")
    http = HttpClient()
    http.force_login(carol.memberships.get().user)
    urls = _id_urls()
    names = {name for name, _, _ in urls}
    assert names >= {n.split(":")[1] for n in SERVICE_URLS + TOKEN_URLS}
    assert names - set(SHARED_IDS) == set(ID_OF), "a client-area URL with an id is missing from ID_OF"
    # then every URL with an id answers 404 for the id of bob's own thing of that kind — and for
    # his other ids too (an id of one kind must not open another kind).
    checked = 0
    for name, keys, others in urls:
        if name in SHARED_IDS:
            continue
        missing = [key for key in others if key not in OTHER_ARGS]
        assert not missing, f"{name}: no sample value for {missing}"
        own = bobs_things[ID_OF[name]].pk
        for pk in [own, *(thing.pk for thing in bobs_things.values() if thing.pk != own)]:
            variants = [{}] if not others else [{key: value} for key in others for value in OTHER_ARGS[key]]
            for extra in variants:
                url = reverse(f"clientarea:{name}", kwargs={**dict.fromkeys(keys, pk), **extra})
                assert _get_or_post(http, url) == 404, url
                checked += 1
    assert checked > len(ID_OF)
    # and nothing of bob's changed.
    assert OrderLine.objects.filter(pk=bobs_things["cart_line"].pk).in_cart().exists()
    bobs_things["order"].refresh_from_db()
    bobs_things["payment"].refresh_from_db()
    assert bobs_things["order"].status == "pending" and bobs_things["order"].paid_at is None
    assert bobs_things["payment"].status == "pending"
    bobs_things["saved_card"].refresh_from_db()
    assert bobs_things["saved_card"].removed_at is None and bobs_things["saved_card"].is_default
