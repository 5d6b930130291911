"""Demo domains: .com (availability from Verisign's RDAP) on the demo's existing ".com
registration" plan, and .net (availability from Verisign's WHOIS), both on the manual module
(staff register by hand from the queue; an EPP registry needs real credentials). Alice and bob
get domain contacts, and Domain rows for the demo's domain services, plus domains of alice's in
the other states: ordered (in the cart), registration in progress, expired in the renewal grace
period; alice-lapsed.com is in redemption (deleted at the registry, restorable for
40.00 + a year)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from openbill.catalog.models import ProductKind, ProductType, TariffPlan
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service

from .actions import create_contact, order_domain, set_price
from .models import Action, Availability, Domain, Phase, Zone

DEMO = Actor.system("demo")


def build(demo: Any) -> None:
    provider = demo.provider
    com_plan = TariffPlan.objects.get(product_type__provider=provider, name=".com registration")
    domain_type = ProductType.objects.get(provider=provider, kind=ProductKind.DOMAIN)
    net_plan = TariffPlan.objects.create(product_type=domain_type, name=".net registration")
    demo.manual.tariffs.add(net_plan)
    com = Zone.objects.create(
        provider=provider,
        name="com",
        tariff=com_plan,
        module=demo.manual,
        availability=Availability.RDAP,
        rdap_url="https://rdap.verisign.com/com/v1/",
    )
    net = Zone.objects.create(
        provider=provider,
        name="net",
        tariff=net_plan,
        module=demo.manual,
        availability=Availability.WHOIS,
        whois_server="whois.verisign-grs.com",
        whois_not_found="No match for",
    )
    # After expiry: .com renews in 5 days' grace, .net in 30; both restore for 40.00 for 30 days.
    Zone.objects.filter(pk=com.pk).update(grace_days=5, redemption_days=30, restore_price=Decimal("40.00"))
    Zone.objects.filter(pk=net.pk).update(grace_days=30, redemption_days=30, restore_price=Decimal("40.00"))
    for zone, (register, transfer, renew) in ((com, ("10.00", "9.00", "12.00")), (net, ("11.00", "10.00", "13.00"))):
        for years in (1, 2, 3):
            set_price(zone, Action.REGISTER, years, Decimal(register) + Decimal(renew) * (years - 1))
            set_price(zone, Action.TRANSFER, years, Decimal(transfer) + Decimal(renew) * (years - 1))
            set_price(zone, Action.RENEW, years, Decimal(renew) * years)

    alice = Client.objects.get(provider=provider, email="alice@demo.test")
    bob = Client.objects.get(provider=provider, email="bob@demo.test")
    alice_contact = create_contact(
        alice,
        {
            "kind": "person",
            "name": "Alice Liddell",
            "street": "Calle Mayor 1",
            "city": "Madrid",
            "postcode": "28013",
            "country": "ES",
            "phone": "+34.911234567",
            "email": "alice@demo.test",
        },
    )
    bob_contact = create_contact(
        bob,
        {
            "kind": "organisation",
            "name": "Bob Builder",
            "organisation": "Bob's Sample Shop SL",
            "street": "Avenida del Puerto 5",
            "city": "Valencia",
            "postcode": "46023",
            "country": "ES",
            "phone": "+34.961234567",
            "email": "bob@demo.test",
        },
    )
    ns = ["ns1.demo-hosting.test", "ns2.demo-hosting.test"]

    def keep(service: Service, zone: Zone, owner: Any, action: str = Action.REGISTER) -> None:
        name = str(service.parameters.get("domain") or service.name)
        params = {**service.parameters, "domain": name, "action": action, "years": 1, "ns": ns}
        params["contacts"] = {"owner": owner.registry_data()}
        Service.objects.filter(pk=service.pk).update(parameters=params, name=name)
        Domain.objects.create(service=service, zone=zone, name=name, action=action, ns=ns, owner=owner)

    for service in Service.objects.filter(client__provider=provider, tariff=com_plan):
        if str(service.parameters.get("domain", "")).endswith(".com"):
            keep(service, com, alice_contact if service.client_id == alice.pk else bob_contact)
    order_domain(
        alice,
        name="alice-example.net",
        action=Action.REGISTER,
        contacts={"owner": alice_contact},
        ns=ns,
        actor=DEMO,
        now=demo.now,
    )
    moving = demo.service(alice, com_plan, "alice-moving.com", period="year", status=Status.ORDERED, started_days_ago=0)
    Service.objects.filter(pk=moving.pk).update(operation=Operation.ACTIVATION, paid_at=demo.now)
    keep(moving, com, alice_contact, Action.TRANSFER)
    stopped = demo.service(
        alice,
        net_plan,
        "alice-old.net",
        period="year",
        status=Status.SUSPENDED,
        started_days_ago=370,
        reasons=(SuspendReason.EXPIRED,),
    )
    keep(stopped, net, alice_contact)
    _expired(stopped, Phase.GRACE, grace_days=30)
    lapsed = demo.service(
        alice,
        com_plan,
        "alice-lapsed.com",
        period="year",
        status=Status.SUSPENDED,
        started_days_ago=372,
        reasons=(SuspendReason.EXPIRED,),
    )
    keep(lapsed, com, alice_contact)
    _expired(lapsed, Phase.REDEMPTION, grace_days=5)


def _expired(service: Service, phase: str, *, grace_days: int) -> None:
    """Put a lapsed demo domain in its phase after expiry, with the zone's deadlines."""
    service.refresh_from_db()
    if service.expires_at is None:
        return
    grace_until = service.expires_at + timedelta(days=grace_days)
    Domain.objects.filter(service=service).update(
        phase=phase, grace_until=grace_until, redemption_until=grace_until + timedelta(days=30)
    )
