"""Every database constraint, hit at the database: a row that breaks it is refused with an
IntegrityError naming it, even when the code that normally prevents it is bypassed.

The application checks most of these rules first (a ledger key, a request key, a price form);
the constraint is the backstop the design relies on when two writers race or a new code path
forgets the check. Each case builds a legal row, then a second one that breaks exactly the
rule under test and differs in every other unique column, so the test fails if that one
constraint is dropped from the model and its migration. A partial unique constraint also gets
a legal neighbour (the rows its condition leaves out must stay free).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction

from openbill.accounts.models import ApiToken, LoginAddress, Membership, RecoveryCode, RecoveryCodes, User
from openbill.billing.models import Expense, LedgerEntry
from openbill.catalog.models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    BillingType,
    PeriodPrice,
    ProductParameter,
    TariffPlan,
)
from openbill.clients.models import Client, Provider
from openbill.core.models import IdempotencyRecord, Notice, SweepSlot
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.domains.models import Domain, DomainContact, Zone, ZonePrice
from openbill.invoicing.models import (
    BillingProfile,
    Document,
    DocumentLine,
    DocumentPdf,
    PromoCode,
    PromoUse,
    SellerProfile,
    Series,
    SeriesCounter,
    TaxRule,
)
from openbill.ipam.models import Address, Pool, ReverseDnsPolicy
from openbill.metering.models import CollectionCursor, OverageRating, ProviderToken, UsageRecord
from openbill.orders.models import OrderLine
from openbill.payments.models import (
    Correction,
    GatewayAccount,
    GatewayCustomer,
    Payment,
    PaymentEvent,
    Refund,
    SavedCard,
    UnknownCharge,
)
from openbill.provisioning.models import Certificate, ProvisioningTask
from openbill.services.automation.models import SweepRun
from openbill.services.choices import Status
from openbill.services.models import Service, ServiceAddon
from openbill.support.models import AbuseReport, Department, SupportSettings, Ticket
from openbill.vdc.models import Machine, MachineCounter, MachineTemplate

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class World:
    provider: Provider
    alice: Client
    bob: Client
    plan: TariffPlan
    ram: Addon
    service: Service
    other: Service

    def entry(self, key: str, amount: str = "5.00", client: Client | None = None) -> LedgerEntry:
        return LedgerEntry.objects.create(
            client=client or self.alice,
            kind="correction",
            amount=Decimal(amount),
            currency="USD",
            balance_after=Decimal(0),
            key=key,
            description=Text.verbatim("x"),
            created_at=NOW,
        )

    def payment(self, **kwargs: Any) -> Payment:
        values: dict[str, Any] = {
            "client": self.alice,
            "method": "card",
            "amount": Decimal("10.00"),
            "currency": "USD",
            "created_at": NOW,
        }
        values.update(kwargs)
        return Payment(**values)


@pytest.fixture
def world(db: Any) -> World:
    provider = f.provider()
    alice = f.client(provider, "alice@test.test")
    bob = f.client(provider, "bob@test.test")
    plan = f.tariff(f.product_type(provider, "vds"), "VPS-1")
    ram = f.addon(plan, "ram", prices={"month": "1.00"})
    return World(
        provider=provider,
        alice=alice,
        bob=bob,
        plan=plan,
        ram=ram,
        service=f.service(alice, plan, name="one"),
        other=f.service(alice, plan, name="two"),
    )


def _domain_plan(w: World) -> TariffPlan:
    return f.tariff(f.product_type(w.provider, "domain"), "domain plan")


def _zone(w: World, name: str) -> Zone:
    return Zone(provider=w.provider, name=name, tariff=_domain_plan(w))


def _contact(w: World, **kwargs: Any) -> DomainContact:
    values: dict[str, Any] = {
        "client": w.alice,
        "name": "Alice",
        "street": "1 Main St",
        "city": "Madrid",
        "country": "ES",
        "phone": "+34.911234567",
        "email": "a@test.test",
    }
    values.update(kwargs)
    return DomainContact(**values)


def _domain(w: World, zone: Zone, name: str, owner: DomainContact, service: Service | None = None) -> Domain:
    return Domain(service=service or w.service, zone=zone, name=name, action="register", owner=owner)


Rows = Callable[[World], list[Any]]  # model instances to save, or a callable that writes


def _expense(w: World, *, key: str, service: Service | None = None, kind: str = "period") -> Expense:
    return Expense(
        service=service or w.service,
        client=w.alice,
        kind=kind,
        key=key,
        amount=Decimal("10.00"),
        currency="USD",
        created_at=NOW,
    )


def _user(email: str, username: str = "") -> User:
    return User(email=email, username=username or email)


def _task(w: World, key: str, state: str = "queued", service: Service | None = None) -> ProvisioningTask:
    return ProvisioningTask(
        service=service or w.service, operation="reboot", state=state, idempotency_key=key, created_at=NOW
    )


def _pool(w: World, prefix: str) -> Pool:
    return Pool(provider=w.provider, name=prefix, prefix=prefix)


_SERVICE = object()


def _ip(
    w: World, pool: Pool, address: str, *, service: Any = _SERVICE, main: bool = True, state: str = "active"
) -> Address:
    return Address(
        pool=pool,
        address=address,
        version=4,
        service=w.service if service is _SERVICE else service,
        main=main,
        state=state,
        allocated_at=NOW,
    )


def _line(w: World, request_key: str, client: Client | None = None) -> OrderLine:
    return OrderLine(
        client=client or w.alice,
        service=w.service,
        period="month",
        amount=Decimal("10.00"),
        currency="USD",
        description=Text.verbatim("x"),
        request_key=request_key,
        created_at=NOW,
    )


def _usage(w: World, record_id: str, quantity: str = "1", provider: Provider | None = None) -> UsageRecord:
    return UsageRecord(
        provider=provider or w.provider,
        record_id=record_id,
        service=w.service,
        resource="traffic",
        at=NOW,
        on=NOW.date(),
        quantity=Decimal(quantity),
        created_at=NOW,
    )


def _rating(w: World, start: date, service: Service | None = None) -> OverageRating:
    return OverageRating(
        service=service or w.service, addon=w.ram, period_start=start, period_end=date(2026, 4, 1), rated_at=NOW
    )


def _event(w: World, payment: Payment, event_id: str, method: str = "card") -> PaymentEvent:
    return PaymentEvent(payment=payment, method=method, event_id=event_id, kind="succeeded", received_at=NOW)


def _ticket(w: World, token: str, client: Client | None = None) -> Ticket:
    department = Department.objects.get_or_create(provider=w.provider, name="Technical")[0]
    return Ticket(
        client=client or w.alice, department=department, subject="q", token=token, created_at=NOW, last_message_at=NOW
    )


def _report(w: World, ticket: Any, client: Client | None = None) -> AbuseReport:
    return AbuseReport(
        client=client or w.alice,
        ticket=ticket,
        description="x",
        score=1,
        deadline=NOW,
        action="forward",
        created_at=NOW,
    )


def _customer(client: Client, customer_id: str, gateway: str = "stripe") -> GatewayCustomer:
    return GatewayCustomer(client=client, gateway=gateway, customer_id=customer_id, created_at=NOW)


def _card(client: Client, provider_id: str, gateway: str = "stripe", **kwargs: Any) -> SavedCard:
    return SavedCard(
        client=client, gateway=gateway, provider_id=provider_id, consented_at=NOW, created_at=NOW, **kwargs
    )


def _account(provider: Provider, gateway: str = "stripe") -> GatewayAccount:
    return GatewayAccount(provider=provider, gateway=gateway, updated_at=NOW)


def _unknown(charge_id: str, gateway: str = "stripe") -> UnknownCharge:
    return UnknownCharge(gateway=gateway, charge_id=charge_id, amount=Decimal(1), currency="USD", found_at=NOW)


def _saved(row: models.Model) -> models.Model:
    row.save()
    return row


_DOCUMENTS = iter(range(1, 10_000))


def _series(w: World, kind: str = "invoice", active: bool = True) -> Series:
    return _saved(Series(provider=w.provider, kind=kind, active=active))  # type: ignore[return-value]


def _document(w: World, series: Series | None = None, **values: Any) -> Document:
    n = next(_DOCUMENTS)
    fields: dict[str, Any] = {
        "provider": w.provider, "client": w.alice, "kind": "invoice", "year": 2026, "sequence": n,
        "number": f"2026-{n:06d}", "key": f"k{n}", "issued_at": NOW, "issued_on": NOW.date(),
        "supplied_on": NOW.date(), "currency": "USD", "net_amount": Decimal(1), "tax_amount": Decimal(0),
        "total_amount": Decimal(1), "tax_rate": Decimal(0), "tax_name": "", "tax_scheme": "none", "language": "en",
        "seller": {}, "buyer": {}, "previous_hash": "0" * 64, "record_hash": f"{n:064d}",
    }  # fmt: skip
    fields.update(values)
    return Document(
        series=series or Series.objects.filter(provider=w.provider, kind="invoice").first() or _series(w), **fields
    )


def _document_line(document: Document, position: int) -> DocumentLine:
    return DocumentLine(
        document=document, position=position, description="x", net_amount=Decimal(1), tax_rate=Decimal(0),
        tax_amount=Decimal(0), total_amount=Decimal(1),
    )  # fmt: skip


def _billing(client: Client) -> BillingProfile:
    return BillingProfile(client=client, legal_name="x", address="x", country="ES", updated_at=NOW)


def _seller(provider: Provider) -> SellerProfile:
    return SellerProfile(provider=provider, legal_name="x", address="x", country="ES", tax_id="ESB1")


def _rule(w: World, **values: Any) -> TaxRule:
    fields: dict[str, Any] = {
        "provider": w.provider, "country": "ES", "rate": Decimal(21), "name": "IVA", "valid_from": date(2026, 1, 1)
    }  # fmt: skip
    fields.update(values)
    return TaxRule(**fields)


def _device(user: User) -> RecoveryCodes:
    return RecoveryCodes.objects.create(user=user, name="codes")


def _certificate(w: World, service: Service, serial: str) -> Certificate:
    return Certificate(
        service=service,
        domain="example.test",
        serial=serial,
        certificate_pem="-",
        not_after=NOW,
        issued_at=NOW,
    )


def _machine(w: World, name: str, service: Service | None = None, **size: Any) -> Machine:
    template = MachineTemplate.objects.get_or_create(provider=w.provider, name="Debian", image="debian.qcow2")[0]
    values = {"cpu": 1, "ram": 1, "disk": 10, **size}
    return Machine(service=service or w.service, name=name, template=template, created_at=NOW, **values)


def _stored_machine(w: World, name: str) -> Machine:
    machine = _machine(w, name)
    machine.save()
    return machine


# name -> (columns the database names when it refuses, rows: legal ones first, the breaking one last)
CASES: dict[str, tuple[tuple[str, ...], Rows]] = {
    # billing
    "expense_business_key": (
        ("service_id", "kind", "key"),
        lambda w: [
            _expense(w, key="2026-03-01T00:00:00+00:00"),
            _expense(w, key="2026-03-01T00:00:00+00:00", service=w.other),  # another service: legal
            _expense(w, key="2026-03-01T00:00:00+00:00", kind="daily"),  # another kind: legal
            _expense(w, key="2026-03-01T00:00:00+00:00"),
        ],
    ),
    "ledger_key_unique": (
        ("key",),
        lambda w: [
            LedgerEntry(
                client=w.alice,
                kind="payment",
                amount=Decimal(5),
                currency="USD",
                balance_after=0,
                key="payment:1",
                description=Text.verbatim("a"),
                created_at=NOW,
            ),
            LedgerEntry(
                client=w.bob,
                kind="payment",
                amount=Decimal(7),
                currency="USD",
                balance_after=0,
                key="payment:1",
                description=Text.verbatim("b"),
                created_at=NOW,
            ),
        ],
    ),
    "ledger_amount_not_zero": (
        ("amount",),
        lambda w: [
            LedgerEntry(
                client=w.alice,
                kind="charge",
                amount=Decimal(0),
                currency="USD",
                balance_after=0,
                key="zero",
                description=Text.verbatim("a"),
                created_at=NOW,
            ),
        ],
    ),
    "billing.Expense.entry": (
        ("entry_id",),
        lambda w: [
            Expense(**{**_kw(_expense(w, key="a")), "entry": w.entry("shared")}),
            Expense(**{**_kw(_expense(w, key="b")), "entry": LedgerEntry.objects.get(key="shared")}),
        ],
    ),
    # payments
    "payment_amount_positive": (("amount",), lambda w: [w.payment(amount=Decimal(0))]),
    "payment_request_key": (
        ("client_id", "request_key"),
        lambda w: [
            w.payment(request_key=""),
            w.payment(request_key=""),  # no key: any number of payments
            w.payment(request_key="k1"),
            w.payment(request_key="k1", client=w.bob),  # another client's key: legal
            w.payment(request_key="k1", amount=Decimal("20.00")),
        ],
    ),
    "payments.Payment.reference": (
        ("reference",),
        lambda w: [
            w.payment(reference="8c2b5b8e-8a1e-4a53-9a0b-2b2b8a6e9c11"),
            w.payment(reference="8c2b5b8e-8a1e-4a53-9a0b-2b2b8a6e9c11", client=w.bob),
        ],
    ),
    "payments.Payment.entry": (
        ("entry_id",),
        lambda w: [w.payment(entry=w.entry("credit")), w.payment(entry=LedgerEntry.objects.get(key="credit"))],
    ),
    "payment_event_unique": (
        ("method", "event_id"),
        lambda w: [
            _event(w, p := _saved(w.payment()), "evt_1"),
            _event(w, p, "evt_1", method="bank"),  # another method: legal
            _event(w, _saved(w.payment()), "evt_1"),
        ],
    ),
    "payment_provider_id": (
        ("method", "provider_id"),
        lambda w: [
            w.payment(method="stripe", provider_id=""),
            w.payment(method="stripe", provider_id=""),  # not charged yet: any number
            w.payment(method="stripe", provider_id="pi_1"),
            w.payment(method="card", provider_id="pi_1"),  # another gateway's id: legal
            w.payment(method="stripe", provider_id="pi_1", client=w.bob),
        ],
    ),
    "gateway_customer_client": (
        ("client_id", "gateway"),
        lambda w: [
            _customer(w.alice, "cus_1"),
            _customer(w.alice, "cus_1", gateway="paypal"),  # another gateway: legal
            _customer(w.alice, "cus_2"),
        ],
    ),
    "gateway_customer_id": (
        ("gateway", "customer_id"),
        lambda w: [_customer(w.alice, "cus_1"), _customer(w.bob, "cus_1", gateway="paypal"), _customer(w.bob, "cus_1")],
    ),
    "saved_card_provider_id": (
        ("gateway", "provider_id"),
        lambda w: [_card(w.alice, "pm_1"), _card(w.alice, "pm_1", gateway="paypal"), _card(w.bob, "pm_1")],
    ),
    "saved_card_one_default": (
        ("client_id",),
        lambda w: [
            _card(w.alice, "pm_1", is_default=True),
            _card(w.alice, "pm_2"),  # not the default: legal
            _card(w.alice, "pm_3", is_default=True, removed_at=NOW),  # removed: legal
            _card(w.bob, "pm_4", is_default=True),  # another client's default: legal
            _card(w.alice, "pm_5", is_default=True),
        ],
    ),
    "gateway_account_unique": (
        ("provider_id", "gateway"),
        lambda w: [
            _account(w.provider),
            _account(w.provider, "paypal"),  # another gateway: legal
            _account(f.provider("Other Hosting")),  # another provider: legal
            _account(w.provider),
        ],
    ),
    "unknown_charge_unique": (
        ("gateway", "charge_id"),
        lambda w: [_unknown("ch_1"), _unknown("ch_1", gateway="paypal"), _unknown("ch_1")],
    ),
    "refund_amount_positive": (
        ("amount",),
        lambda w: [Refund(payment=_saved(w.payment()), amount=Decimal(0), reason="x", created_at=NOW)],
    ),
    "payments.Refund.entry": (
        ("entry_id",),
        lambda w: [
            Refund(
                payment=(p := _saved(w.payment())),
                amount=Decimal(1),
                reason="x",
                created_at=NOW,
                entry=w.entry("refund", "-1.00"),
            ),
            Refund(
                payment=p, amount=Decimal(2), reason="y", created_at=NOW, entry=LedgerEntry.objects.get(key="refund")
            ),
        ],
    ),
    "correction_not_zero": (
        ("amount",),
        lambda w: [Correction(client=w.alice, amount=Decimal(0), reason="x", created_at=NOW)],
    ),
    "payments.Correction.entry": (
        ("entry_id",),
        lambda w: [
            Correction(client=w.alice, amount=Decimal(1), reason="x", created_at=NOW, entry=w.entry("fix")),
            Correction(
                client=w.alice, amount=Decimal(2), reason="y", created_at=NOW, entry=LedgerEntry.objects.get(key="fix")
            ),
        ],
    ),
    # services
    "service_suspended_has_reason": (
        ("service_suspended_has_reason",),
        lambda w: [
            Service(
                client=w.alice,
                tariff=w.plan,
                product_type=w.plan.product_type,
                name="stopped, admin",
                status=Status.SUSPENDED,
                suspended_by_admin=True,
            ),
            Service(
                client=w.alice,
                tariff=w.plan,
                product_type=w.plan.product_type,
                name="resuming",
                status=Status.SUSPENDED,
                operation="resume",
            ),
            Service(
                client=w.alice,
                tariff=w.plan,
                product_type=w.plan.product_type,
                name="no reason",
                status=Status.SUSPENDED,
            ),
        ],
    ),
    "service_addon_unique": (
        ("service_id", "addon_id"),
        lambda w: [
            ServiceAddon(service=w.service, addon=w.ram, quantity=Decimal(1)),
            ServiceAddon(service=w.other, addon=w.ram, quantity=Decimal(1)),
            ServiceAddon(service=w.service, addon=w.ram, quantity=Decimal(2)),
        ],
    ),
    "sweep_run_unique": (
        ("sweep", "run_key"),
        lambda w: [
            SweepRun(sweep="renew", run_key="2026-03-01T00:00", at=NOW, created_at=NOW),
            SweepRun(sweep="expire", run_key="2026-03-01T00:00", at=NOW, created_at=NOW),
            SweepRun(sweep="renew", run_key="2026-03-01T00:00", at=NOW, created_at=NOW),
        ],
    ),
    # orders
    "order_line_request_key": (
        ("client_id", "request_key"),
        lambda w: [
            _line(w, ""),
            _line(w, ""),
            _line(w, "form-1"),
            _line(w, "form-1", client=w.bob),
            _line(w, "form-1"),
        ],
    ),
    # metering
    "usage_record_id_unique": (
        ("provider_id", "record_id"),
        lambda w: [
            _usage(w, "r1"),
            _usage(w, "r1", provider=f.provider("Other Hosting")),
            _usage(w, "r1", quantity="2"),
        ],
    ),
    "usage_quantity_not_negative": (("quantity",), lambda w: [_usage(w, "r1", quantity="-1")]),
    "metering.ProviderToken.key_hash": (
        ("key_hash",),
        lambda w: [
            ProviderToken(provider=w.provider, name="a", key_prefix="obp_a", key_hash="h" * 64),
            ProviderToken(provider=w.provider, name="b", key_prefix="obp_b", key_hash="h" * 64),
        ],
    ),
    "collection_cursor_unique": (
        ("service_id", "metric"),
        lambda w: [
            CollectionCursor(service=w.service, metric="net_rx", collected_through=NOW),
            CollectionCursor(service=w.other, metric="net_rx", collected_through=NOW),
            CollectionCursor(service=w.service, metric="net_rx", collected_through=NOW),
        ],
    ),
    "overage_rating_unique": (
        ("service_id", "addon_id", "period_start"),
        lambda w: [
            _rating(w, date(2026, 3, 1)),
            _rating(w, date(2026, 3, 1), service=w.other),
            _rating(w, date(2026, 2, 1)),
            _rating(w, date(2026, 3, 1)),
        ],
    ),
    # provisioning
    "one_open_task_per_service": (
        ("service_id",),
        lambda w: [
            _task(w, "done-1", state="done"),
            _task(w, "cancelled-1", state="cancelled"),
            _task(w, "open-1", state="running"),
            _task(w, "open-2", state="queued", service=w.other),
            _task(w, "open-3", state="waiting_staff"),
        ],
    ),
    "provisioning.ProvisioningTask.idempotency_key": (
        ("idempotency_key",),
        lambda w: [_task(w, "same", state="done"), _task(w, "same", state="done", service=w.other)],
    ),
    "provisioning.Certificate.service": (
        ("service_id",),
        lambda w: [_certificate(w, w.service, "01"), _certificate(w, w.other, "02"), _certificate(w, w.service, "03")],
    ),
    # core
    "sweep_slot_unique": (
        ("sweep", "slot"),
        lambda w: [
            SweepSlot(sweep="renew", slot=1, enqueued_at=NOW),
            SweepSlot(sweep="meter", slot=1, enqueued_at=NOW),
            SweepSlot(sweep="renew", slot=1, enqueued_at=NOW),
        ],
    ),
    "idempotency_key_unique": (
        ("scope", "endpoint", "key"),
        lambda w: [
            IdempotencyRecord(
                scope="user:1", endpoint="pay", key="k", request_hash="a", created_at=NOW, started_at=NOW
            ),
            IdempotencyRecord(
                scope="user:2", endpoint="pay", key="k", request_hash="a", created_at=NOW, started_at=NOW
            ),
            IdempotencyRecord(
                scope="user:1", endpoint="topup", key="k", request_hash="a", created_at=NOW, started_at=NOW
            ),
            IdempotencyRecord(
                scope="user:1", endpoint="pay", key="k", request_hash="b", created_at=NOW, started_at=NOW
            ),
        ],
    ),
    "notice_key_unique": (
        ("key",),
        lambda w: [
            Notice(key="renewed:1", client=w.alice, template="service_renewed", created_at=NOW),
            Notice(key="renewed:1", client=w.bob, template="service_renewed", created_at=NOW),
        ],
    ),
    # support
    "department_name_unique": (
        ("provider_id", "name"),
        lambda w: [
            Department(provider=w.provider, name="Technical"),
            Department(provider=f.provider("Other Hosting"), name="Technical"),
            Department(provider=w.provider, name="Technical"),
        ],
    ),
    # virtual data centers
    "machine_template_minimums": (
        ("machine_template_minimums",),
        lambda w: [
            MachineTemplate(provider=w.provider, name="a", image="a", min_cpu=1, min_ram=1, min_disk=1),
            MachineTemplate(provider=w.provider, name="b", image="b", min_cpu=1, min_ram=0, min_disk=1),
        ],
    ),
    "machine_size": (
        ("machine_size",),
        lambda w: [_machine(w, "a", cpu=1), _machine(w, "b", cpu=0)],
    ),
    # a deleted machine's name is free again in its VDC; another VDC may use it
    "machine_name_unique_in_vdc": (
        ("service_id", "name"),
        lambda w: [
            _machine(w, "web"),
            _machine(w, "web", service=w.other),
            Machine(**{**_kw(_machine(w, "web")), "status": "deleted"}),
            _machine(w, "web"),
        ],
    ),
    "vdc.Machine.address": (
        ("address_id",),
        lambda w: [
            _machine(w, "a", address=(ip := _saved(_ip(w, _saved(_pool(w, "203.0.113.0/29")), "203.0.113.3")))),
            _machine(w, "b", address=_saved(_ip(w, ip.pool, "203.0.113.4", main=False))),
            _machine(w, "c", address=ip),
        ],
    ),
    "machine_counter_unique": (
        ("machine_id", "metric"),
        lambda w: [
            MachineCounter(machine=(m := _stored_machine(w, "a")), metric="rx_bytes", reading=1, collected_through=NOW),
            MachineCounter(machine=m, metric="tx_bytes", reading=1, collected_through=NOW),
            MachineCounter(machine=_stored_machine(w, "b"), metric="rx_bytes", reading=1, collected_through=NOW),
            MachineCounter(machine=m, metric="rx_bytes", reading=2, collected_through=NOW),
        ],
    ),
    "support.SupportSettings.provider": (
        ("provider_id",),
        lambda w: [SupportSettings(provider=w.provider, abuse_limit=1), SupportSettings(provider=w.provider)],
    ),
    "support.Ticket.token": (
        ("token",),
        lambda w: [_ticket(w, "aaaaaaaaaaaa"), _ticket(w, "aaaaaaaaaaaa", client=w.bob)],
    ),
    "support.AbuseReport.ticket": (
        ("ticket_id",),
        lambda w: [_report(w, t := _saved(_ticket(w, "bbbbbbbbbbbb"))), _report(w, t, client=w.bob)],
    ),
    # ipam
    "ipam_address_once_per_pool": (
        ("pool_id", "address"),
        lambda w: [
            _ip(w, p := _saved(_pool(w, "203.0.113.0/29")), "203.0.113.3"),
            _ip(w, _saved(_pool(w, "198.51.100.0/29")), "203.0.113.3", service=w.other),
            _ip(w, p, "203.0.113.3", service=w.other, main=False),
        ],
    ),
    "ipam_one_main_per_version": (
        ("service_id", "version"),
        lambda w: [
            _ip(w, p := _saved(_pool(w, "203.0.113.0/29")), "203.0.113.3"),
            _ip(w, p, "203.0.113.4", main=False),  # additional: any number
            _ip(w, p, "203.0.113.5", state="quarantine", service=None),  # released: not the main
            _ip(w, p, "203.0.113.6"),
        ],
    ),
    "ipam.ReverseDnsPolicy.provider": (
        ("provider_id",),
        lambda w: [ReverseDnsPolicy(provider=w.provider), ReverseDnsPolicy(provider=w.provider, require_forward=True)],
    ),
    "ipam_active_has_service": (
        ("ipam_active_has_service",),
        lambda w: [
            _ip(w, p := _saved(_pool(w, "203.0.113.0/29")), "203.0.113.3", state="quarantine", service=None),
            _ip(w, p, "203.0.113.4", service=None, main=False),
        ],
    ),
    # domains
    "zone_name_unique": (
        ("provider_id", "name"),
        lambda w: [
            _zone(w, "test"),
            Zone(provider=f.provider("Other Hosting"), name="test", tariff=_domain_plan(w)),
            _zone(w, "test"),
        ],
    ),
    "domains.Zone.tariff": (
        ("tariff_id",),
        lambda w: [z := _zone(w, "test"), Zone(provider=w.provider, name="example", tariff=z.tariff)],
    ),
    "zone_price_unique": (
        ("zone_id", "action", "years"),
        lambda w: [
            ZonePrice(zone=(z := _saved(_zone(w, "test"))), action="register", years=1, amount=Decimal(10)),
            ZonePrice(zone=z, action="register", years=2, amount=Decimal(10)),
            ZonePrice(zone=z, action="transfer", years=1, amount=Decimal(10)),
            ZonePrice(zone=z, action="register", years=1, amount=Decimal(11)),
        ],
    ),
    "zone_price_years_1_10": (
        ("years",),
        lambda w: [ZonePrice(zone=_saved(_zone(w, "test")), action="register", years=11, amount=Decimal(1))],
    ),
    "zone_price_not_negative": (
        ("amount",),
        lambda w: [ZonePrice(zone=_saved(_zone(w, "test")), action="register", years=1, amount=Decimal("-0.01"))],
    ),
    "domain_contact_organisation_named": (
        ("organisation",),
        lambda w: [
            _contact(w, kind="person"),
            _contact(w, kind="organisation", organisation="Acme"),
            _contact(w, kind="organisation"),
        ],
    ),
    "domains.Domain.service": (
        ("service_id",),
        lambda w: [
            _domain(w, (z := _saved(_zone(w, "test"))), "a.test", (c := _saved(_contact(w)))),
            _domain(w, z, "b.test", c, service=w.other),
            _domain(w, z, "c.test", c),
        ],
    ),
    # clients and accounts
    "clients.Provider.name": (
        ("name",),
        lambda w: [Provider(name="Test Hosting", currency="EUR", time_zone="UTC")],
    ),
    "accounts.User.email": (
        ("email",),
        lambda w: [lambda: User.objects.bulk_create([_user("alice@test.test", username="alice-2")])],
    ),
    # save() copies the email into the username; a writer that skips it meets the constraint
    "accounts.User.username": (
        ("username",),
        lambda w: [lambda: User.objects.bulk_create([_user("alice-2@test.test", username="alice@test.test")])],
    ),
    # (client, user) is implied by one client per user: the database names the stricter one
    "membership_unique": (
        ("user_id",),
        lambda w: [Membership(client=w.alice, user=w.alice.memberships.get().user, role="user")],
    ),
    "membership_one_client_per_user": (
        ("user_id",),
        lambda w: [Membership(client=w.bob, user=w.alice.memberships.get().user, role="user")],
    ),
    "accounts.ApiToken.key_hash": (
        ("key_hash",),
        lambda w: [
            ApiToken(user=w.alice.memberships.get().user, name="a", key_prefix="obt_a", key_hash="t" * 64),
            ApiToken(user=w.bob.memberships.get().user, name="b", key_prefix="obt_b", key_hash="t" * 64),
        ],
    ),
    "recovery_code_unique": (
        ("device_id", "code_hash"),
        lambda w: [
            RecoveryCode(device=(d := _device(w.alice.memberships.get().user)), code_hash="c" * 64),
            RecoveryCode(device=_device(w.bob.memberships.get().user), code_hash="c" * 64),
            RecoveryCode(device=d, code_hash="c" * 64),
        ],
    ),
    "login_address_unique": (
        ("user_id", "address"),
        lambda w: [
            LoginAddress(user=(u := w.alice.memberships.get().user), address="192.0.2.1", first_seen_at=NOW),
            LoginAddress(user=w.bob.memberships.get().user, address="192.0.2.1", first_seen_at=NOW),
            LoginAddress(user=u, address="192.0.2.1", first_seen_at=NOW),
        ],
    ),
    # catalog
    "parameter_code_unique": (
        ("product_type_id", "code"),
        lambda w: [
            ProductParameter(product_type=w.plan.product_type, code="hostname", label="a"),
            ProductParameter(product_type=f.product_type(w.provider, "ssl"), code="hostname", label="a"),
            ProductParameter(product_type=w.plan.product_type, code="hostname", label="b"),
        ],
    ),
    "period_price_unique": (
        ("tariff_id", "period"),
        lambda w: [PeriodPrice(tariff=w.plan, period="month", price=Decimal("11.00"), setup_fee=Decimal(0))],
    ),
    "period_price_not_negative": (
        ("period_price_not_negative",),
        lambda w: [
            PeriodPrice(tariff=w.plan, period="day", price=Decimal("0"), setup_fee=Decimal(0)),
            PeriodPrice(tariff=w.plan, period="quarter", price=Decimal("1.00"), setup_fee=Decimal("-1.00")),
        ],
    ),
    "addon_resource_unique": (
        ("tariff_id", "resource"),
        lambda w: [Addon(tariff=w.plan, resource="ram", name="RAM 2", billing_type=BillingType.ORDER)],
    ),
    "addon_step_positive": (
        ("step",),
        lambda w: [Addon(tariff=w.plan, resource="cpu", name="CPU", billing_type=BillingType.ORDER, step=Decimal(0))],
    ),
    "enum_item_code_unique": (
        ("addon_id", "code"),
        lambda w: [
            AddonEnumItem(addon=w.ram, code="debian", name="Debian"),
            AddonEnumItem(addon=w.ram, code="debian", name="Debian 2"),
        ],
    ),
    "addon_price_unique": (
        ("addon_id", "period"),
        lambda w: [
            AddonPrice(addon=w.ram, period="year", unit_price=Decimal("10.00")),
            AddonPrice(addon=w.ram, period="month", unit_price=Decimal("2.00")),
        ],
    ),
    "addon_item_price_unique": (
        ("addon_id", "enum_item_id", "period"),
        lambda w: [
            AddonPrice(
                addon=w.ram,
                enum_item=(i := _saved(AddonEnumItem(addon=w.ram, code="a", name="A"))),
                period="month",
                unit_price=Decimal(1),
            ),
            AddonPrice(
                addon=w.ram,
                enum_item=_saved(AddonEnumItem(addon=w.ram, code="b", name="B")),
                period="month",
                unit_price=Decimal(1),
            ),
            AddonPrice(addon=w.ram, enum_item=i, period="month", unit_price=Decimal(2)),
        ],
    ),
    "addon_price_not_negative": (
        ("unit_price",),
        lambda w: [AddonPrice(addon=w.ram, period="day", unit_price=Decimal("-0.01"))],
    ),
    # invoicing
    "invoicing.SellerProfile.provider": (
        ("provider_id",),
        lambda w: [_saved(_seller(w.provider)), _seller(w.provider)],
    ),
    "invoicing.BillingProfile.client": (("client_id",), lambda w: [_saved(_billing(w.alice)), _billing(w.alice)]),
    "tax_rule_unique": (
        ("provider_id", "country", "region", "buyer_kind", "valid_from"),
        lambda w: [_rule(w), _rule(w, region="CN"), _rule(w, rate=Decimal(10), name="other")],
    ),
    "series_one_active_per_kind": (
        ("provider_id", "kind"),
        lambda w: [
            _series(w),
            Series(provider=w.provider, kind="invoice", active=False),
            Series(provider=w.provider, kind="credit_note"),
            Series(provider=w.provider, kind="invoice"),
        ],
    ),
    "series_counter_unique": (
        ("series_id", "year"),
        lambda w: [
            SeriesCounter(series=(s := _series(w)), year=2026),
            SeriesCounter(series=s, year=2027),
            SeriesCounter(series=s, year=2026, last=3),
        ],
    ),
    "document_sequence_unique": (
        ("series_id", "year", "sequence"),
        lambda w: [
            d := _document(w),
            _document(w, series=d.series, sequence=d.sequence, year=2027),
            _document(w, series=d.series, sequence=d.sequence),
        ],
    ),
    "document_number_unique": (
        ("provider_id", "number"),
        lambda w: [d := _document(w), _document(w, number=d.number)],
    ),
    "invoicing.Document.key": (("key",), lambda w: [d := _document(w), _document(w, key=d.key)]),
    "invoicing.Document.record_hash": (
        ("record_hash",),
        lambda w: [d := _document(w), _document(w, record_hash=d.record_hash)],
    ),
    "invoicing.Document.refund": (
        ("refund_id",),
        lambda w: [
            _document(
                w,
                refund=(
                    r := _saved(Refund(payment=_saved(w.payment()), amount=Decimal(1), reason="x", created_at=NOW))
                ),
            ),
            _document(w, refund=r),
        ],
    ),
    "document_line_unique": (
        ("document_id", "position"),
        lambda w: [d := _document(w), _document_line(d, 1), _document_line(d, 2), _document_line(d, 1)],
    ),
    "promo_code_unique": (
        ("provider_id", "code"),
        lambda w: [
            PromoCode(provider=w.provider, code="a", kind="percent", value=Decimal(5)),
            PromoCode(provider=f.provider("Other Hosting"), code="a", kind="percent", value=Decimal(5)),
            PromoCode(provider=w.provider, code="A", kind="amount", value=Decimal(5)),
        ],
    ),
    "promo_percent_at_most_100": (
        ("value",),
        lambda w: [
            PromoCode(provider=w.provider, code="a", kind="amount", value=Decimal(500)),
            PromoCode(provider=w.provider, code="b", kind="percent", value=Decimal(101)),
        ],
    ),
    "invoicing.PromoUse.service": (
        ("service_id",),
        lambda w: [
            PromoUse(
                promo=(p := _saved(PromoCode(provider=w.provider, code="a", kind="percent", value=Decimal(5)))),
                client=w.alice,
                service=w.service,
                used_at=NOW,
            ),
            PromoUse(promo=p, client=w.alice, service=w.service, used_at=NOW),
        ],
    ),
    "invoicing.DocumentPdf.document": (
        ("document_id",),
        lambda w: [
            d := _document(w),
            DocumentPdf(document=d, content=b"a", sha256="a", created_at=NOW),
            DocumentPdf(document=d, content=b"b", sha256="b", created_at=NOW),
        ],
    ),
}


def _kw(row: models.Model) -> dict[str, Any]:
    return {
        field.name: getattr(row, field.name)
        for field in row._meta.concrete_fields
        if not field.primary_key and field.name != "entry"
    }


def _refused(exc: IntegrityError, name: str, columns: tuple[str, ...]) -> bool:
    """The database names the constraint (PostgreSQL, SQLite's CHECK and partial indexes) or
    its columns (SQLite's UNIQUE, PostgreSQL's DETAIL line)."""
    text = str(exc) + " " + str(getattr(exc.__cause__, "diag", "") and exc.__cause__.diag.message_detail)
    return name.rsplit(".", 1)[-1] in text or all(column in text for column in columns)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_database_refuses_a_row_that_breaks_the_constraint(world: World, name: str) -> None:
    columns, rows = CASES[name]
    *legal, breaking = rows(world)
    for row in legal:
        row.save()  # the neighbours of the rule stay allowed

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        breaking() if callable(breaking) else breaking.save()

    assert _refused(refused.value, name, columns), str(refused.value)


def _declared() -> set[str]:
    names = set()
    for model in apps.get_models():
        if not model.__module__.startswith("openbill."):
            continue
        names.update(constraint.name for constraint in model._meta.constraints)
        names.update(
            f"{model._meta.label}.{field.name}"
            for field in model._meta.local_fields
            if field.unique and not field.primary_key
        )
    return names


def test_every_declared_constraint_has_a_case_here() -> None:
    assert _declared() == set(CASES)
