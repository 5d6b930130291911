"""A hypothesis state machine of random orders, payments, renewals, suspensions, resumes,
deletions, module confirmations and clock moves with the sweeps running in between.

After every step: the ledger balances (``openbill audit``), no balance below its credit limit, no
period charged twice (a service's period charges never overlap and its expiry is the end of the
last one), status, suspension reasons and the running operation never contradict each other
(DESIGN.md §3), and the fuse never trips on legitimate work.

CI runs a small derandomized profile (25 examples); ``HYPOTHESIS_PROFILE=big`` runs more.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from openbill.billing.actions import charge_service, post_entry
from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, ExpenseKind
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.provisioning.models import OPEN_STATES, ProvisioningTask
from openbill.services import actions, sweeps
from openbill.services.automation.models import SweepAlert
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service
from openbill.services.renewal import renew_service

from .sweep_helpers import confirm_operations

settings.register_profile(
    "ci",
    max_examples=25,
    stateful_step_count=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "big",
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

START = datetime(2026, 1, 30, 10, 17, 13, tzinfo=UTC)  # seconds off the minute: never exactly midnight
CLIENT = Actor("client", None, "client")
STAFF = Actor("staff", None, "staff")


class Rollback(Exception):
    pass


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.now = START
        self.orders = 0
        self.payments = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize()
    def catalog(self) -> None:
        provider = f.provider(f"Prop {id(self)}", time_zone="Europe/Madrid")
        ptype = f.product_type(provider, "vds", grace_days=1, auto_delete_days=2)
        self.plan = f.tariff(ptype, "P", prices={"day": "1.00", "month": "10.00", "year": "100.00"})
        self.clients = [
            f.client(provider, f"a{id(self)}@prop.test", balance="30.00"),
            f.client(provider, f"b{id(self)}@prop.test", balance="5.00", credit_limit=Decimal("3.00")),
        ]
        self.provider_ids = [provider.pk]

    def service(self, index: int) -> Service | None:
        services = list(Service.objects.filter(client__in=self.clients).order_by("pk"))
        return services[index % len(services)] if services else None

    # --- what clients and staff do ------------------------------------------------------------
    @rule(who=st.integers(0, 1), period=st.sampled_from(["day", "month", "year"]), auto_renew=st.booleans())
    def order(self, who: int, period: str, auto_renew: bool) -> None:
        client = self.clients[who]
        service = f.service(client, self.plan, status=Status.ORDERED, period=period, auto_renew=auto_renew)
        self.orders += 1
        price = {"day": Decimal("1.00"), "month": Decimal("10.00"), "year": Decimal("100.00")}[period]
        try:
            with transaction.atomic():
                charge_service(
                    service,
                    kind=ExpenseKind.SETUP,
                    key="order",
                    amount=price,
                    description=Text.verbatim("order"),
                    now=self.now,
                )
                actions.request_activation(service, actor=CLIENT, now=self.now)
        except DomainError:
            service.delete()  # never paid: the cart line goes away

    @rule(who=st.integers(0, 1), amount=st.sampled_from(["1.00", "4.50", "25.00", "120.00"]))
    def pay(self, who: int, amount: str) -> None:
        self.payments += 1
        post_entry(
            self.clients[who],
            amount=Decimal(amount),
            kind="payment",
            key=f"pay:{id(self)}:{self.payments}",
            description=Text.verbatim("payment"),
            now=self.now,
        )

    @rule(index=st.integers(0, 50))
    def extend(self, index: int) -> None:
        service = self.service(index)
        if service is None:
            return
        try:
            with transaction.atomic():
                renew_service(service, actor=CLIENT, now=self.now)
        except DomainError:
            pass  # no funds, not renewable now: a 4xx for the client, nothing changed

    @rule(index=st.integers(0, 50), reason=st.sampled_from([SuspendReason.CLIENT, SuspendReason.ADMIN]))
    def suspend(self, index: int, reason: str) -> None:
        service = self.service(index)
        if service is None:
            return
        try:
            with transaction.atomic():
                actions.suspend(
                    service, reason=reason, actor=STAFF if reason == SuspendReason.ADMIN else CLIENT, now=self.now
                )
        except DomainError:
            pass

    @rule(index=st.integers(0, 50), reason=st.sampled_from([SuspendReason.CLIENT, SuspendReason.ADMIN]))
    def resume(self, index: int, reason: str) -> None:
        service = self.service(index)
        if service is None:
            return
        try:
            with transaction.atomic():
                actions.resume(
                    service, reason=reason, actor=STAFF if reason == SuspendReason.ADMIN else CLIENT, now=self.now
                )
        except DomainError:
            pass

    @rule(index=st.integers(0, 50))
    def delete(self, index: int) -> None:
        service = self.service(index)
        if service is None:
            return
        try:
            with transaction.atomic():
                locked = actions.lock(service)
                actions.start_operation(locked, Operation.DELETION, actor=STAFF, now=self.now)
        except DomainError:
            pass

    # --- the modules and the clock ----------------------------------------------------------------
    @rule()
    def modules_confirm(self) -> None:
        confirm_operations(self.now, list(Service.objects.filter(client__in=self.clients).values_list("pk", flat=True)))

    @rule(hours=st.integers(1, 80), minutes=st.integers(1, 59))
    def time_passes(self, hours: int, minutes: int) -> None:
        self.now += timedelta(hours=hours, minutes=minutes)
        sweeps.run_now(self.now, provider_ids=self.provider_ids)

    @rule()
    def sweep_again(self) -> None:
        sweeps.run_now(self.now + timedelta(seconds=1), provider_ids=self.provider_ids)

    # --- what must always hold ------------------------------------------------------------------
    @invariant()
    def ledger_balances(self) -> None:
        if hasattr(self, "clients"):
            assert run_audit() == []
            for client in Client.objects.filter(pk__in=[c.pk for c in self.clients]):
                assert client.balance_amount >= -client.credit_limit

    @invariant()
    def no_period_charged_twice(self) -> None:
        if not hasattr(self, "clients"):
            return
        for service in Service.objects.filter(client__in=self.clients):
            periods = list(
                Expense.objects.filter(service=service, kind=ExpenseKind.PERIOD)
                .order_by("period_start")
                .values_list("period_start", "period_end")
            )
            for (_s1, end), (start, _e2) in zip(periods, periods[1:], strict=False):
                assert start >= end, (service.pk, periods)
            if periods:
                assert service.expires_at == periods[-1][1], (service.pk, service.expires_at, periods)

    @invariant()
    def status_reasons_and_operation_agree(self) -> None:
        if not hasattr(self, "clients"):
            return
        for s in Service.objects.filter(client__in=self.clients):
            open_ops = list(
                ProvisioningTask.objects.filter(service=s, state__in=OPEN_STATES).values_list("operation", flat=True)
            )
            assert open_ops == ([s.operation] if s.operation else []), (s.pk, s.operation, open_ops)
            reasons = s.suspend_reasons
            if s.status == Status.SUSPENDED:
                assert reasons or s.operation, s.pk
                if not reasons:
                    assert s.operation, s.pk  # the resume (or what precedes it) is under way
            if s.status == Status.ACTIVE and reasons:
                assert s.operation, (s.pk, reasons)  # the suspension is under way
            if s.status == Status.DELETED:
                assert not s.operation

    @invariant()
    def the_fuse_never_trips_on_legitimate_work(self) -> None:
        assert not SweepAlert.objects.exists()


@pytest.mark.django_db
def test_random_lifecycles_keep_the_ledger_and_the_status_model_consistent():
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    run_state_machine_as_test(Lifecycle, settings=settings.get_profile(profile))
