"""Checking names and ordering domains: availability from the registry's EPP check, the zone's
price for registration or transfer, payment from the balance, activation through the EPP
module; contacts and name servers with their rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.texts import Text
from openbill.domains import actions
from openbill.domains.actions import check_names, order_domain
from openbill.domains.models import Domain
from openbill.orders import actions as orders
from openbill.orders.models import OrderLine
from openbill.provisioning import actions as provisioning
from openbill.provisioning import staff
from openbill.provisioning.models import ProvisioningTask
from openbill.services.choices import Status

from .conftest import make_zone
from .epp_server import Registry

pytestmark = pytest.mark.django_db
ALICE = Actor("client", None, "alice@test.test")


def run_due() -> list[str]:
    now = timezone.now()
    return [provisioning.run(pk, worker="w", now=now) for pk in provisioning.due_task_ids(now=now)]


def pay(alice: Any) -> None:
    order = orders.checkout(alice, actor=ALICE, now=timezone.now())
    orders.pay_order(order, actor=ALICE, now=timezone.now())


def test_check_shows_availability_from_the_registry_and_the_price(
    provider: Any, test_zone: Any, epp_registry: Registry
) -> None:
    epp_registry.add_domain("taken.test")
    answer = check_names(provider, "free.test TAKEN.test bad_name.test free.test other.org")
    rows = {row["name"]: row for row in answer["results"]}
    assert list(rows) == ["free.test", "taken.test"]
    assert rows["free.test"]["available"] is True and rows["free.test"]["register_price"] == Decimal("10.00")
    assert rows["taken.test"]["available"] is False and rows["taken.test"]["reason"] == "In use"
    assert rows["taken.test"]["transfer_price"] == Decimal("8.00")
    assert [r["name"] for r in answer["refused"]] == ["bad_name.test", "other.org"]
    assert "not a valid domain name" in answer["refused"][0]["reason"]
    assert "do not sell names in this zone" in answer["refused"][1]["reason"]


def test_check_when_the_registry_is_down_says_so(provider: Any, test_zone: Any, epp_server: Any) -> None:
    epp_server.stop()
    row = check_names(provider, "free.test")["results"][0]
    assert row["available"] is None and "did not answer" in row["reason"]


def test_register_pay_and_activate(alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry) -> None:
    line = order_domain(
        alice,
        name="alice.test",
        action="register",
        years=2,
        contacts={"owner": owner_contact.pk, "tech": owner_contact.pk},
        ns="ns1.provider.net ns2.provider.net",
        actor=ALICE,
        now=timezone.now(),
    )
    assert line.amount == Decimal("20.00") and line.service.name == "alice.test"
    pay(alice)
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("80.00")
    assert Expense.objects.get(service=line.service).amount == Decimal("20.00")
    assert run_audit() == []
    assert run_due() == ["done"]
    line.service.refresh_from_db()
    assert line.service.status == Status.ACTIVE and line.service.period == "2years"
    registered = epp_registry.domains["alice.test"]
    assert registered.sponsor == "openbill"
    # Roles not given are the owner's (issue 11: admin, tech and billing default to the owner).
    handle = owner_contact.handle
    assert registered.registrant == handle
    assert registered.contacts == {"admin": handle, "tech": handle, "billing": handle}
    assert registered.ns == ["ns1.provider.net", "ns2.provider.net"]
    assert registered.expires.year == timezone.now().year + 2


def test_idn_is_ordered_in_punycode_and_named_in_unicode(
    provider: Any, alice: Any, registrar: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    make_zone(provider, "рф", registrar, charset="idn")
    line = order_domain(
        alice, name="Пример.РФ", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    assert line.service.name == "пример.рф"
    assert Domain.objects.get().name == "xn--e1afmkfd.xn--p1ai"
    pay(alice)
    assert run_due() == ["done"]
    assert "xn--e1afmkfd.xn--p1ai" in epp_registry.domains


def test_transfer_with_the_auth_code(alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry) -> None:
    epp_registry.add_domain("moving.test", auth_info="Tr4nsfer-Me")
    with pytest.raises(DomainError, match="auth code") as caught:
        order_domain(
            alice,
            name="moving.test",
            action="transfer",
            contacts={"owner": owner_contact},
            actor=ALICE,
            now=timezone.now(),
        )
    assert caught.value.field == "auth_code"
    line = order_domain(
        alice,
        name="moving.test",
        action="transfer",
        auth_code="Tr4nsfer-Me",
        contacts={"owner": owner_contact},
        actor=ALICE,
        now=timezone.now(),
    )
    assert line.amount == Decimal("8.00")
    pay(alice)
    assert run_due() == ["done"]
    assert epp_registry.domains["moving.test"].sponsor == "openbill"


def test_transfer_with_a_wrong_code_reaches_staff_with_the_registry_reason(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    epp_registry.add_domain("moving.test", auth_info="Tr4nsfer-Me")
    order_domain(
        alice,
        name="moving.test",
        action="transfer",
        auth_code="guess",
        contacts={"owner": owner_contact},
        actor=ALICE,
        now=timezone.now(),
    )
    pay(alice)
    assert run_due() == ["failed"]
    task = ProvisioningTask.objects.get()
    assert task in staff.staff_queue()
    assert "2202" in task.last_error and "the transfer code is wrong" in task.last_error
    assert epp_registry.domains["moving.test"].sponsor == "other-registrar"


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": "alice.org"}, "name", "do not sell"),
        ({"name": "a" * 64 + ".test"}, "name", "longer than 63"),
        ({"contacts": {}}, "owner", "owner"),
        ({"years": 11}, "years", "1 to 10 years"),
        ({"ns": "ns1.alice.test ns2.provider.net"}, "ns", "give its IP address"),
        ({"ns": "ns1.provider.net"}, "ns", "2 to 13"),
        ({"ns": "ns1.provider.net/192.0.2.1 ns2.provider.net"}, "ns", "takes no IP address"),
    ],
)
def test_bad_orders_are_refused_with_the_field_and_change_nothing(
    alice: Any, test_zone: Any, owner_contact: Any, kwargs: dict[str, Any], field: str, message: str
) -> None:
    spec: dict[str, Any] = {"name": "alice.test", "action": "register", "contacts": {"owner": owner_contact.pk}}
    spec.update(kwargs)
    with pytest.raises(DomainError, match=message) as caught:
        order_domain(alice, actor=ALICE, now=timezone.now(), **spec)
    assert caught.value.field == field
    assert not Domain.objects.exists() and not alice.services.exists()


def test_another_clients_contact_cannot_be_used(bob: Any, test_zone: Any, owner_contact: Any) -> None:
    with pytest.raises(DomainError, match="No such contact"):
        order_domain(
            bob,
            name="bob.test",
            action="register",
            contacts={"owner": owner_contact.pk},
            actor=ALICE,
            now=timezone.now(),
        )


def test_a_person_never_becomes_an_organisation(owner_contact: Any) -> None:
    with pytest.raises(DomainError, match="cannot become an organisation"):
        actions.update_contact(owner_contact, {"kind": "organisation", "organisation": "Wonderland Ltd"})
    with pytest.raises(DomainError) as caught:
        actions.update_contact(owner_contact, {"phone": "555-1234"})
    assert caught.value.field == "phone"
    owner_contact.refresh_from_db()
    assert owner_contact.kind == "person" and owner_contact.phone == "+44.1865000000"


def test_ns_change_after_registration_goes_to_the_registry(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    line = order_domain(
        alice,
        name="alice.test",
        action="register",
        contacts={"owner": owner_contact},
        ns="ns1.old.net ns2.old.net",
        actor=ALICE,
        now=timezone.now(),
    )
    domain = Domain.objects.get()
    actions.set_ns(domain, "ns1.new.net ns2.new.net", actor=ALICE, now=timezone.now())  # before payment: kept
    pay(alice)
    assert run_due() == ["done"]
    assert epp_registry.domains["alice.test"].ns == ["ns1.new.net", "ns2.new.net"]
    actions.set_ns(domain, "ns1.alice.test/192.0.2.53 ns2.new.net", actor=ALICE, now=timezone.now())
    line.service.refresh_from_db()
    assert line.service.label == "In progress (reconfiguration)" or line.service.operation == "reconfiguration"
    assert run_due() == ["done"]
    assert epp_registry.domains["alice.test"].ns == ["ns2.new.net", "ns1.alice.test"]
    assert epp_registry.hosts["ns1.alice.test"].addrs == ["192.0.2.53"]


def test_whois_comes_from_the_registry_and_is_kept_with_its_time(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry, epp_server: Any
) -> None:
    order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    run_due()
    domain = actions.refresh_whois(Domain.objects.get(), now=timezone.now())
    assert "sponsor: openbill" in domain.whois_text and domain.whois_fetched_at is not None
    assert "auth_code" not in domain.whois_text
    epp_server.stop()
    domain = actions.refresh_whois(domain, now=timezone.now())
    assert "did not answer" in domain.whois_error and "sponsor: openbill" in domain.whois_text


def test_renewal_from_the_balance_renews_at_the_registry(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    from openbill.services.renewal import renew_service

    line = order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    assert run_due() == ["done"]
    registered = epp_registry.domains["alice.test"].expires
    renewal = renew_service(line.service.pk, actor=ALICE, now=timezone.now())
    assert renewal.created and renewal.expense.amount == Decimal("12.00")  # the zone's renewal price
    line.service.refresh_from_db()
    assert line.service.label == "In progress (renewal)"
    assert epp_registry.domains["alice.test"].expires == registered  # not before the worker runs
    assert run_due() == ["done"]
    assert epp_registry.domains["alice.test"].expires.year == registered.year + 1
    line.service.refresh_from_db()
    assert line.service.operation == "" and line.service.status == Status.ACTIVE
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("78.00")  # 100 - 10 registration - 12 renewal
    assert run_audit() == []


def test_a_registry_refusing_the_renewal_reaches_staff(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    from openbill.services.renewal import renew_service

    line = order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    run_due()
    epp_registry.domains["alice.test"].sponsor = "other-registrar"  # transferred away meanwhile
    renew_service(line.service.pk, actor=ALICE, now=timezone.now())
    assert run_due() == ["failed"]
    task = ProvisioningTask.objects.get(operation="renewal")
    assert task in staff.staff_queue() and "2201" in task.last_error


def test_editing_a_contact_updates_it_at_the_registry_for_each_domain(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    for name in ("one.test", "two.test"):
        order_domain(
            alice, name=name, action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
        )
    pay(alice)
    assert run_due() == ["done", "done"]
    actions.update_contact(
        owner_contact, {"city": "Cambridge", "email": "new@test.test"}, actor=ALICE, now=timezone.now()
    )
    assert sorted(
        ProvisioningTask.objects.filter(operation="reconfiguration").values_list("service__name", flat=True)
    ) == [
        "one.test",
        "two.test",
    ]
    assert run_due() == ["done", "done"]
    registry_contact = epp_registry.contacts[owner_contact.handle]
    assert registry_contact.data["city"] == "Cambridge" and registry_contact.data["email"] == "new@test.test"


def test_staff_cancelling_a_refused_transfer_returns_the_money(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    epp_registry.add_domain("moving.test", auth_info="Tr4nsfer-Me")
    line = order_domain(
        alice,
        name="moving.test",
        action="transfer",
        auth_code="guess",
        contacts={"owner": owner_contact},
        actor=ALICE,
        now=timezone.now(),
    )
    pay(alice)
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("92.00")
    assert run_due() == ["failed"]
    staff.staff_cancel(ProvisioningTask.objects.get(), actor=Actor.system("staff"), now=timezone.now())
    alice.refresh_from_db()
    line.service.refresh_from_db()
    assert alice.balance_amount == Decimal("100.00") and line.service.status == Status.DELETED
    assert run_audit() == []


def test_staff_cancelling_a_name_server_change_leaves_an_earlier_paid_change_alone(
    alice: Any, test_zone: Any, owner_contact: Any, epp_registry: Registry
) -> None:
    from openbill.billing.actions import charge_service
    from openbill.orders.models import LineKind

    line = order_domain(
        alice, name="alice.test", action="register", contacts={"owner": owner_contact}, actor=ALICE, now=timezone.now()
    )
    pay(alice)
    assert run_due() == ["done"]
    service = line.service
    # An earlier change of the service, paid and done (e.g. its renewal period).
    change = OrderLine.objects.create(
        client=alice,
        service=service,
        kind=LineKind.CHANGE,
        period="year",
        period_amount=Decimal(3),
        amount=Decimal(3),
        currency="USD",
        description=Text.verbatim("change"),
        created_at=timezone.now(),
    )
    charge_service(
        service,
        kind="change",
        key=f"line:{change.pk}:charge",
        amount=Decimal(3),
        description=Text.verbatim("change"),
        now=timezone.now(),
        actor=ALICE,
    )
    lost = epp_registry.domains.pop("alice.test")  # the registry lost it: the NS change fails for good
    actions.set_ns(Domain.objects.get(), "ns1.new.net ns2.new.net", actor=ALICE, now=timezone.now())
    assert run_due() == ["failed"]
    staff.staff_cancel(
        ProvisioningTask.objects.get(operation="reconfiguration"), actor=Actor.system("staff"), now=timezone.now()
    )
    assert not Expense.objects.filter(service=service, key__endswith=":reversed").exists()
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("87.00")  # 100 - 10 registration - 3 change, nothing given back
    assert lost.name == "alice.test"
