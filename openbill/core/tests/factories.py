"""Factories shared by the apps' tests: a provider, a small catalog, clients and services."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from openbill.accounts.models import Membership, User
from openbill.catalog.models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    BillingType,
    ProductKind,
    ProductParameter,
    ProductType,
    TariffPlan,
    ValueType,
)
from openbill.catalog.models import PeriodPrice as Price
from openbill.clients.models import Client, Provider
from openbill.core.texts import Text
from openbill.services.choices import Status
from openbill.services.models import Service, ServiceAddon

PASSWORD = "demo-password-1"


def provider(name: str = "Test Hosting", currency: str = "USD", time_zone: str = "UTC") -> Provider:
    return Provider.objects.get_or_create(name=name, defaults={"currency": currency, "time_zone": time_zone})[0]


def product_type(prov: Provider, kind: str = ProductKind.VIRTUAL_SERVER, **kwargs: Any) -> ProductType:
    defaults = {"name": dict(ProductKind.choices)[kind]}
    defaults.update(kwargs)
    return ProductType.objects.create(provider=prov, kind=kind, **defaults)


def tariff(
    ptype: ProductType,
    name: str = "VPS-1",
    prices: dict[str, str] | None = None,
    setup_fee: str = "0",
    **kwargs: Any,
) -> TariffPlan:
    plan = TariffPlan.objects.create(product_type=ptype, name=name, **kwargs)
    for period, amount in (prices or {"month": "10.00", "year": "100.00"}).items():
        Price.objects.create(tariff=plan, period=period, price=Decimal(amount), setup_fee=Decimal(setup_fee))
    return plan


def addon(plan: TariffPlan, resource: str, *, prices: dict[str, str] | None = None, **kwargs: Any) -> Addon:
    kwargs.setdefault("name", resource.upper())
    kwargs.setdefault("billing_type", BillingType.ORDER)
    item = Addon.objects.create(tariff=plan, resource=resource, **kwargs)
    for period, amount in (prices or {}).items():
        AddonPrice.objects.create(addon=item, period=period, unit_price=Decimal(amount))
    return item


def enum_addon(plan: TariffPlan, resource: str, items: dict[str, dict[str, str]], **kwargs: Any) -> Addon:
    item = addon(plan, resource, value_type=ValueType.ENUM, billing_type=BillingType.LIST, **kwargs)
    for position, (code, prices) in enumerate(items.items()):
        choice = AddonEnumItem.objects.create(addon=item, code=code, name=code.title(), position=position)
        for period, amount in prices.items():
            AddonPrice.objects.create(addon=item, enum_item=choice, period=period, unit_price=Decimal(amount))
    return item


def parameter(ptype: ProductType, code: str, kind: str = "text", **kwargs: Any) -> ProductParameter:
    return ProductParameter.objects.create(product_type=ptype, code=code, label=code.title(), kind=kind, **kwargs)


def client(prov: Provider, email: str, *, balance: str | None = None, staff: bool = False, **kwargs: Any) -> Client:
    user = User.objects.create_user(email=email, password=PASSWORD)
    account = Client.objects.create(provider=prov, name=email.split("@")[0].title(), email=email, **kwargs)
    Membership.objects.create(client=account, user=user, role=Membership.Role.OWNER)
    if balance is not None:
        from openbill.billing.actions import post_entry
        from openbill.billing.models import EntryKind

        post_entry(
            account,
            amount=Decimal(balance),
            kind=EntryKind.PAYMENT,
            key=f"test-topup:{email}",
            description=Text.verbatim("Top-up"),
            now=timezone.now(),
        )
    return account


def staff_user(email: str = "staff@test.test") -> User:
    return User.objects.create_user(email=email, password=PASSWORD, is_staff=True, is_superuser=True)


def service(
    owner: Client,
    plan: TariffPlan,
    *,
    status: str = Status.ACTIVE,
    period: str = "month",
    expires_at: datetime | None = None,
    name: str | None = None,
    addons: dict[Addon, str] | None = None,
    **kwargs: Any,
) -> Service:
    """A service placed directly in a state (fixtures only; real changes go through actions)."""
    now = timezone.now()
    if status in (Status.ACTIVE, Status.SUSPENDED) and expires_at is None:
        expires_at = now + timedelta(days=30)
    svc = Service.objects.create(
        client=owner,
        tariff=plan,
        product_type=plan.product_type,
        name=name or plan.name,
        status=status,
        period=period,
        expires_at=expires_at,
        activated_at=now - timedelta(days=1) if status in (Status.ACTIVE, Status.SUSPENDED) else None,
        **kwargs,
    )
    for item, quantity in (addons or {}).items():
        ServiceAddon.objects.create(service=svc, addon=item, quantity=Decimal(quantity))
    return svc


def due_today(owner: Client, now: datetime, hours: int = 2) -> datetime:
    """An expiry about ``hours`` after ``now`` that the renew sweep still counts as today's:
    never past the provider's next local midnight, so a test run at 23:00 does not find its
    service due tomorrow instead (a minute before that midnight at the latest)."""
    from openbill.services.automation.due import next_local_midnight

    return min(now + timedelta(hours=hours), next_local_midnight(now, owner.provider.tz) - timedelta(minutes=1))
