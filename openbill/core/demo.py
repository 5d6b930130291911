"""Demo data: a provider catalog and demo clients with services in every client-visible status.

Loaded by ``openbill demo`` (and ``make run``). Loading twice changes nothing: the provider
"Demo Hosting" is the marker, and everything is created in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from openbill.accounts.models import Membership, User
from openbill.billing.actions import charge_service, post_entry
from openbill.billing.models import EntryKind, ExpenseKind
from openbill.catalog.models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    BillingType,
    DeletionWhen,
    PeriodPrice,
    ProductKind,
    ProductParameter,
    ProductType,
    TariffPlan,
    ValueType,
)
from openbill.clients.models import Client, Provider
from openbill.core.actors import Actor
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

VPS_INSTRUCTIONS = """Your virtual server {{ service.name }} is ready.

Host name: {{ params.hostname }}
Address: {{ service.address|default:"assigned at activation" }}
Log in as root with the password sent to {{ client.email }}.
Paid until {{ service.expires_on }}."""


def load(now: datetime | None = None) -> bool:
    """Create the demo data; False when it is already there."""
    now = now or timezone.now()
    if Provider.objects.filter(name=PROVIDER_NAME).exists():
        return False
    with transaction.atomic():
        demo = Demo(now)
        demo.build()
        # Apps add their own demo data (modules, usage…) in ``openbill/<app>/demo.py: extend(demo)``.
        from openbill.core.extensions import optional_module

        for app in ("provisioning", "orders", "payments", "invoicing", "metering", "support", "ipam", "vdc", "domains"):
            extension = optional_module(f"openbill.{app}.demo")
            if extension is not None:
                extension.extend(demo)
    return True


class Demo:
    def __init__(self, now: datetime) -> None:
        self.now = now

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

    def vps_addons(self, plan: TariffPlan, *, daily: bool = False) -> dict[str, Addon]:
        periods = ("day",) if daily else ("month", "year")

        def per(month: str) -> dict[str, str]:
            table = {
                "day": str((Decimal(month) / 30).quantize(Decimal("0.0001"))),
                "month": month,
                "year": str(Decimal(month) * 10),
            }
            return {p: table[p] for p in periods}

        addons = {
            "ram": self.addon(
                plan,
                "ram",
                "RAM",
                per("2.00"),
                unit="GiB",
                billing_type=BillingType.ORDER,
                included=1,
                minimum=1,
                maximum=64,
                step=1,
                position=1,
            ),
            "cpu": self.addon(
                plan,
                "cpu",
                "CPU cores",
                per("3.00"),
                unit="cores",
                billing_type=BillingType.ORDER,
                included=1,
                minimum=1,
                maximum=16,
                step=1,
                position=2,
            ),
            "disk": self.addon(
                plan,
                "disk",
                "Disk",
                per("0.10"),
                unit="GiB",
                billing_type=BillingType.ORDER,
                included=20,
                minimum=20,
                maximum=500,
                step=10,
                position=3,
            ),
            "ipv4": self.addon(
                plan,
                "ipv4",
                "Extra IPv4 addresses",
                per("2.00"),
                unit="addresses",
                billing_type=BillingType.ORDER,
                included=0,
                minimum=0,
                maximum=8,
                position=4,
            ),
            "traffic": self.addon(
                plan,
                "traffic",
                "Traffic",
                unit="GiB",
                billing_type=BillingType.STATISTICS,
                included=1000,
                minimum=0,
                maximum=100000,
                overage_price=Decimal("0.01"),
                metrics=["rx_bytes", "tx_bytes"],
                position=5,
            ),
        }
        os_addon = self.addon(
            plan, "os", "Operating system", billing_type=BillingType.LIST, value_type=ValueType.ENUM, position=6
        )
        for position, (code, name, month) in enumerate(
            [
                ("debian-12", "Debian 12", "0"),
                ("ubuntu-24-04", "Ubuntu 24.04", "0"),
                ("windows-2022", "Windows Server 2022", "15.00"),
            ]
        ):
            item = AddonEnumItem.objects.create(addon=os_addon, code=code, name=name, position=position)
            for period, price in per(month).items():
                AddonPrice.objects.create(addon=os_addon, enum_item=item, period=period, unit_price=Decimal(price))
        AddonEnumItem.objects.create(
            addon=os_addon, code="centos-7", name="CentOS 7 (retired)", enabled=False, position=9
        )
        addons["os"] = os_addon
        return addons

    def catalog(self) -> None:
        vds = self.ptype(
            ProductKind.VIRTUAL_SERVER,
            "Virtual servers",
            instruction_template=VPS_INSTRUCTIONS,
            refund_unused=True,
            grace_days=3,
            auto_delete_days=14,
        )
        ProductParameter.objects.create(product_type=vds, code="hostname", label="Host name", kind="hostname")
        hosting = self.ptype(
            ProductKind.VIRTUAL_HOSTING,
            "Virtual hosting",
            instruction_template="Your hosting for {{ params.domain }} is ready. Control panel: "
            "https://panel.demo.test/ (login {{ client.email }}).",
        )
        ProductParameter.objects.create(product_type=hosting, code="domain", label="Domain", kind="domain")
        dedicated = self.ptype(
            ProductKind.DEDICATED_SERVER,
            "Dedicated servers",
            deletion_when=DeletionWhen.PERIOD_END,
            instruction_template="Your dedicated server {{ service.name }} is racked and running. "
            "Its access details were sent to {{ client.email }}. Paid until {{ service.expires_on }}.",
        )
        domain = self.ptype(
            ProductKind.DOMAIN,
            "Domain names",
            client_can_suspend=False,
            deletion_who="staff",
            instruction_template="{{ params.domain }} is registered to you. Point it at your servers with "
            "the NS action; it is paid until {{ service.expires_on }}.",
        )
        ProductParameter.objects.create(product_type=domain, code="domain", label="Domain", kind="domain")
        ssl = self.ptype(
            ProductKind.SSL_CERTIFICATE,
            "SSL certificates",
            client_can_suspend=False,
            instruction_template="Download the certificate for {{ params.domain }} from the service page.",
        )
        ProductParameter.objects.create(product_type=ssl, code="domain", label="Domain", kind="domain")
        ProductParameter.objects.create(
            product_type=ssl, code="csr", label="CSR", kind="csr", required=False, position=1
        )
        vdc = self.ptype(
            ProductKind.VIRTUAL_DATA_CENTER,
            "Virtual data centers",
            instruction_template="Your virtual data center {{ service.name }} is ready: create its virtual "
            "servers from the service's Virtual servers action.",
        )
        licence = self.ptype(
            ProductKind.SOFTWARE_LICENCE,
            "Software licences",
            instruction_template="Licence key: {{ params.licence_key|default:'issued at activation' }}",
        )
        generic = self.ptype(
            ProductKind.GENERIC,
            "Other services",
            instruction_template="{{ service.name }} is active. Ask a question from the service page if you "
            "need anything.",
        )

        self.vps = self.plan(
            vds,
            "VPS Start",
            {"month": ("10.00", "5.00"), "year": ("100.00", "0")},
            description="1 core, 1 GiB RAM, 20 GiB disk",
        )
        self.vps_addons_ = self.vps_addons(self.vps)
        self.vps_pro = self.plan(
            vds, "VPS Pro", {"month": ("25.00", "0"), "year": ("250.00", "0")}, description="Faster CPUs, NVMe"
        )
        self.vps_pro_addons = self.vps_addons(self.vps_pro)
        self.vps.changeable_to.add(self.vps_pro)
        self.vps_pro.changeable_to.add(self.vps)
        self.vps_daily = self.plan(
            vds, "VPS Daily", {"day": ("1.00", "0")}, description="Billed each day", auto_renew_default=True
        )
        self.vps_daily_addons = self.vps_addons(self.vps_daily, daily=True)
        self.hosting = self.plan(
            hosting, "Hosting Basic", {"month": ("5.00", "0"), "year": ("50.00", "0")}, quick_order=True
        )
        self.hosting_business = self.plan(
            hosting, "Hosting Business", {"month": ("12.00", "0"), "year": ("120.00", "0")}
        )
        self.hosting.changeable_to.add(self.hosting_business)
        self.dedicated = self.plan(dedicated, "Dedicated E3", {"month": ("60.00", "50.00"), "year": ("500.00", "0")})
        self.com = self.plan(domain, ".com registration", {"year": ("12.00", "0"), "2years": ("24.00", "0")})
        self.ssl = self.plan(ssl, "Basic SSL", {"year": ("10.00", "0")})
        self.vdc = self.plan(vdc, "VDC Small", {"month": ("50.00", "0"), "3months": ("140.00", "0")})
        self.licence = self.plan(licence, "ISPmanager Lite", {"month": ("6.00", "0"), "6months": ("33.00", "0")})
        self.backup = self.plan(generic, "Backup 100 GiB", {"month": ("3.00", "0")})

        self.manual = ProcessingModule.objects.create(
            name="Manual work", kind="manual", provider=self.provider, priority=0
        )
        self.manual.tariffs.set(TariffPlan.objects.filter(product_type__provider=self.provider))

    # --- people -------------------------------------------------------------------------------
    def user(self, email: str, **kwargs: Any) -> User:
        return User.objects.create_user(email=email, password=PASSWORD, email_confirmed=True, **kwargs)

    def client(self, email: str, name: str, language: str = "en") -> Client:
        account = Client.objects.create(provider=self.provider, name=name, email=email, language=language)
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
                    note=", ".join(reasons),
                )
            svc.refresh_from_db()
        if running:
            self.charge_first_period(svc)
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
            description=svc.name,
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
            description=f"{svc.name}: {svc.get_period_display()}",
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

    def build(self) -> None:
        self.provider = Provider.objects.create(
            name=PROVIDER_NAME,
            currency="USD",
            time_zone="UTC",
            support_email="support@demo.test",
            bank_details="Demo Bank, IBAN XX00 0000 0000 0000, reference: your client number",
        )
        self.catalog()
        self.user("admin@demo.test", is_staff=True, is_superuser=True)
        alice = self.client("alice@demo.test", "Alice Example")
        bob = self.client("bob@demo.test", "Bob Sample", language="es")

        post_entry(
            alice,
            amount=Decimal("1500.00"),
            kind=EntryKind.PAYMENT,
            key="demo:alice:topup1",
            description="Bank transfer",
            now=self.now - timedelta(days=40),
            actor=DEMO,
        )
        post_entry(
            bob,
            amount=Decimal("120.00"),
            kind=EntryKind.PAYMENT,
            key="demo:bob:topup1",
            description="Card payment",
            now=self.now - timedelta(days=30),
            actor=DEMO,
        )

        v = self.vps_addons_
        self.service(
            alice,
            self.vps,
            "Web server",
            period="month",
            params={"hostname": "web.alice.test"},
            resources={"ram": "4", "cpu": "2", "disk": "40", "ipv4": "1", "traffic": "0", "os": "debian-12"},
        )
        self.service(alice, self.dedicated, "Database server", period="year", auto_renew=False, started_days_ago=200)
        self.service(
            alice,
            self.vps_daily,
            "Test box",
            period="day",
            started_days_ago=0,
            params={"hostname": "test.alice.test"},
            resources={"os": "ubuntu-24-04"},
        )
        self.service(
            alice,
            self.com,
            "alice-example.com",
            period="year",
            params={"domain": "alice-example.com"},
            started_days_ago=100,
        )
        self.service(
            alice, self.ssl, "SSL for alice-example.com", period="year", params={"domain": "alice-example.com"}
        )
        self.service(
            alice,
            self.vps,
            "New server (in cart)",
            period="month",
            status=Status.ORDERED,
            started_days_ago=0,
            params={"hostname": "new.alice.test"},
            resources={"ram": "2", "os": "debian-12"},
        )
        self.service(
            alice,
            self.hosting,
            "Hosting (quick order)",
            period="month",
            status=Status.CONFIGURATION_REQUIRED,
            started_days_ago=1,
        )
        self.service(
            alice,
            self.vps_pro,
            "Big server",
            period="month",
            status=Status.NOT_AVAILABLE,
            started_days_ago=1,
            params={"hostname": "big.alice.test"},
            resources={"ram": "64", "os": "debian-12"},
        )
        self.service(
            alice,
            self.hosting,
            "Old blog",
            period="month",
            status=Status.SUSPENDED,
            reasons=(SuspendReason.CLIENT,),
            params={"domain": "blog.alice.test"},
        )
        self.service(
            alice, self.vdc, "Lab VDC", period="month", status=Status.SUSPENDED, reasons=(SuspendReason.ADMIN,)
        )
        self.service(
            alice,
            self.licence,
            "Panel licence",
            period="month",
            status=Status.SUSPENDED,
            reasons=(SuspendReason.ABUSE, SuspendReason.ADMIN),
        )
        expired = self.service(
            alice,
            self.hosting,
            "Expired site",
            period="month",
            auto_renew=False,
            status=Status.SUSPENDED,
            reasons=(SuspendReason.EXPIRED,),
            started_days_ago=40,
            params={"domain": "expired.alice.test"},
        )
        Service.objects.filter(pk=expired.pk).update(suspended_at=expired.expires_at)
        for operation in (
            Operation.ACTIVATION,
            Operation.SUSPENSION,
            Operation.RESUME,
            Operation.REBOOT,
            Operation.RENEWAL,
            Operation.TRANSFER,
            Operation.DELETION,
        ):
            self.in_progress(alice, operation)
        post_entry(
            alice,
            amount=Decimal("-2.50"),
            kind=EntryKind.CORRECTION,
            key="demo:alice:correction1",
            description="Correction: bank fee",
            now=self.now - timedelta(days=5),
            actor=DEMO,
        )
        self.bob_services(bob, v)

    def bob_services(self, bob: Client, v: dict[str, Addon]) -> None:
        self.service(
            bob,
            self.vps,
            "Bob's server",
            period="month",
            params={"hostname": "srv.bob.test"},
            resources={"ram": "2", "os": "ubuntu-24-04"},
        )
        self.service(bob, self.com, "bob-sample.com", period="year", params={"domain": "bob-sample.com"})
        self.service(
            bob,
            self.hosting,
            "Bob's shop",
            period="month",
            status=Status.SUSPENDED,
            reasons=(SuspendReason.CLIENT,),
            params={"domain": "shop.bob.test"},
        )
