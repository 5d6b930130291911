"""The demo's builder: the state the apps' demo parts share (the moment, the provider, the
manual module, the tariffs by name), helpers to create catalog items, people and services the
way the seed shows them, and the demo's past money told in date order.

A service or a payment of the past is not posted when it is made: ``at`` keeps it, and
``tell_the_past`` posts everything kept in date order once every app has built its part, so
that each client's ledger adds up in time ("Balance after" of each line follows the line
before it) and no charge comes before the payment that paid it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction

from openbill.accounts.models import Membership, User
from openbill.billing.actions import charge_service, post_entry
from openbill.billing.models import ExpenseKind
from openbill.catalog.models import Addon, AddonPrice, PeriodPrice, ProductType, TariffPlan, ValueType
from openbill.clients.models import Client, Provider
from openbill.core.actors import Actor
from openbill.core.texts import Text
from openbill.core.texts import fields as text_fields
from openbill.core.timeutil import add_period
from openbill.orders.models import LineKind, Order, OrderLine, OrderStatus
from openbill.provisioning.models import ProcessingModule
from openbill.services import actions, events
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service, ServiceAddon
from openbill.services.selectors import renewal_amount, with_pricing

PROVIDER_NAME = "Demo Hosting"
PASSWORD = "demo"
DEMO = Actor.system("demo")


class Demo:
    """What the apps' demo parts build on; attributes are set by the parts (``provider`` by
    clients, the tariffs and ``manual`` by catalog, ``libvirt_node`` by provisioning)."""

    provider: Provider
    alice: Client
    bob: Client
    manual: ProcessingModule
    libvirt_node: ProcessingModule
    # The tariffs by name (catalog's part); apps look others up by name.
    vps: TariffPlan
    vps_pro: TariffPlan
    vps_daily: TariffPlan
    hosting: TariffPlan
    hosting_business: TariffPlan
    dedicated: TariffPlan
    com: TariffPlan
    ssl: TariffPlan
    vdc: TariffPlan
    licence: TariffPlan
    backup: TariffPlan

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._past: list[tuple[datetime, int, Callable[[], object]]] | None = []

    # --- the past, in date order --------------------------------------------------------------
    def at(self, when: datetime, step: Callable[[], object]) -> None:
        """Post ``step`` (money of the past) at ``when``, in date order with the rest of the past;
        once the past is told, at once."""
        if self._past is None:
            step()
        else:
            self._past.append((when, len(self._past), step))

    def tell_the_past(self) -> None:
        past, self._past = self._past or [], None
        for _when, _order, step in sorted(past, key=lambda item: item[:2]):
            step()

    def post(self, owner: Client, amount: str, description: Text, *, kind: str, days_ago: int, key: str) -> None:
        """A payment or correction of the past (``key`` unique in the demo)."""
        when = self.now - timedelta(days=days_ago)
        self.at(
            when,
            partial(
                post_entry,
                owner,
                amount=Decimal(amount),
                kind=kind,
                key=f"demo:{key}",
                description=description,
                now=when,
                actor=DEMO,
            ),
        )

    # --- catalog ------------------------------------------------------------------------------
    def ptype(self, kind: str, name: str, **kwargs: Any) -> ProductType:
        return ProductType.objects.create(provider=self.provider, kind=kind, name=name, **kwargs)

    def plan(self, ptype: ProductType, name: str, prices: dict[str, tuple[str, str]], **kwargs: Any) -> TariffPlan:
        plan = TariffPlan.objects.create(product_type=ptype, name=name, **kwargs)
        for period, (price, setup) in prices.items():
            PeriodPrice.objects.create(tariff=plan, period=period, price=Decimal(price), setup_fee=Decimal(setup))
        return plan

    def addon(
        self, plan: TariffPlan, resource: str, name: str, prices: dict[str, str] | None = None, **kwargs: Any
    ) -> Addon:
        item = Addon.objects.create(tariff=plan, resource=resource, name=name, **kwargs)
        for period, price in (prices or {}).items():
            AddonPrice.objects.create(addon=item, period=period, unit_price=Decimal(price))
        return item

    # --- people -------------------------------------------------------------------------------
    def user(self, email: str, **kwargs: Any) -> User:
        return User.objects.create_user(email=email, password=PASSWORD, email_confirmed=True, **kwargs)

    def client(self, email: str, name: str, language: str = "en") -> Client:
        account = Client.objects.create(provider=self.provider, name=name, email=email)
        Membership.objects.create(client=account, user=self.user(email, language=language), role=Membership.Role.OWNER)
        return account

    # --- services -----------------------------------------------------------------------------
    def service(
        self,
        owner: Client,
        plan: TariffPlan,
        name: str,
        *,
        period: str,
        status: str = Status.ACTIVE,
        started_days_ago: int = 20,
        auto_renew: bool = True,
        params: dict[str, str] | None = None,
        resources: dict[str, str] | None = None,
        reasons: tuple[str, ...] = (),
    ) -> Service:
        ordered_at = self.now - timedelta(days=started_days_ago, hours=1)
        tz = self.provider.tz
        running = status in (Status.ACTIVE, Status.SUSPENDED)
        activated = self.now - timedelta(days=started_days_ago) if running else None
        svc = Service.objects.create(
            client=owner,
            tariff=plan,
            product_type=plan.product_type,
            name=name,
            period=period,
            auto_renew=auto_renew,
            parameters=params or {},
            created_at=ordered_at,
            activated_at=activated,
            expires_at=add_period(activated, period, tz) if activated else None,
            paid_at=ordered_at if status != Status.ORDERED else None,
        )
        addons = {a.resource: a for a in plan.addons.all()}
        for resource, value in (resources or {}).items():
            addon = addons[resource]
            if addon.value_type == ValueType.ENUM:
                ServiceAddon.objects.create(service=svc, addon=addon, quantity=1, enum_item=addon.items.get(code=value))
            else:
                ServiceAddon.objects.create(service=svc, addon=addon, quantity=Decimal(value))
        events.record(
            svc, "ordered", actor=Actor("client", None, owner.email), now=ordered_at, to_status=Status.ORDERED
        )
        if status != Status.ORDERED:
            # Direct placement for seed data; real changes go through services.actions.
            events.record(
                svc,
                "status",
                actor=DEMO,
                now=activated or ordered_at,
                from_status=Status.ORDERED,
                to_status=Status.ACTIVE if running else status,
            )
            svc.suspend_reasons = set(reasons)
            Service.objects.filter(pk=svc.pk).update(
                status=status,
                suspended_at=self.now - timedelta(days=2) if status == Status.SUSPENDED else None,
                **{
                    f: getattr(svc, f)
                    for f in (
                        "suspended_by_client",
                        "suspended_by_admin",
                        "suspended_for_abuse",
                        "suspended_expired",
                        "suspended_overuse",
                    )
                },
            )
            if status == Status.SUSPENDED:
                events.record(
                    svc,
                    "status",
                    actor=DEMO,
                    now=self.now - timedelta(days=2),
                    from_status=Status.ACTIVE,
                    to_status=Status.SUSPENDED,
                    note=Text("texts", items=[Text("suspend_reason", reason=r) for r in reasons]),
                )
            svc.refresh_from_db()
        if running:
            assert activated is not None
            self.at(activated, partial(self.charge_first_period, svc))
        if svc.paid_at is not None:
            self.paid_order(svc)
        return svc

    def paid_order(self, svc: Service) -> None:
        """The paid order the service came from (the Orders page's paid-services block)."""
        priced = with_pricing(Service.objects.filter(pk=svc.pk)).get()
        amount = renewal_amount(priced) or Decimal(0)
        currency = svc.client.currency
        assert svc.paid_at is not None
        order = Order.objects.create(
            client=svc.client,
            status=OrderStatus.PAID,
            total_amount=amount,
            currency=currency,
            created_at=svc.created_at,
            paid_at=svc.paid_at,
            created_by=svc.client.email,
        )
        OrderLine.objects.create(
            client=svc.client,
            order=order,
            service=svc,
            kind=LineKind.NEW,
            period=svc.period,
            period_amount=amount,
            amount=amount,
            currency=currency,
            **text_fields("description", Text("order_line", tariff=svc.tariff.name, period=svc.period)),
            created_at=svc.created_at,
            paid_at=svc.paid_at,
        )

    def charge_first_period(self, svc: Service) -> None:
        svc = with_pricing(Service.objects.filter(pk=svc.pk)).get()
        amount = renewal_amount(svc)
        assert amount is not None and svc.activated_at and svc.expires_at
        charge_service(
            svc,
            kind=ExpenseKind.PERIOD,
            key=svc.activated_at.isoformat(),
            amount=amount,
            description=Text("first_period", name=svc.name, period=svc.period),
            now=svc.activated_at,
            period_start=svc.activated_at,
            period_end=svc.expires_at,
            actor=DEMO,
        )

    def in_progress(self, owner: Client, operation: str) -> Service:
        plan, period = (self.backup, "month")
        name = f"Backup ({operation})"
        if operation == Operation.ACTIVATION:
            svc = self.service(owner, plan, name, period=period, status=Status.ORDERED, started_days_ago=0)
            Service.objects.filter(pk=svc.pk).update(paid_at=self.now)
            svc.refresh_from_db()
            with transaction.atomic():
                actions.start_operation(actions.lock(svc), operation, actor=DEMO, now=self.now)
            return svc
        if operation == Operation.RESUME:
            svc = self.service(
                owner, plan, name, period=period, status=Status.SUSPENDED, reasons=(SuspendReason.CLIENT,)
            )
            actions.resume(svc, reason=SuspendReason.CLIENT, actor=DEMO, now=self.now)
            return svc
        svc = self.service(owner, plan, name, period=period)
        if operation == Operation.SUSPENSION:
            actions.suspend(svc, reason=SuspendReason.ADMIN, actor=DEMO, now=self.now)
        else:
            with transaction.atomic():
                actions.start_operation(actions.lock(svc), operation, actor=DEMO, now=self.now)
        return svc
