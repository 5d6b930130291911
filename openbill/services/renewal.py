"""Renewing a service: charge one more period and move the expiry, exactly once per period.

Used by the client's "Extend validity period" (orders/payments) and by the renew sweep
(automation). The period's business key is its start, so two callers racing for the same
period — a click and the sweep, two workers — charge once (DESIGN.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind
from openbill.billing.rules import period_key
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.money import Money
from openbill.core.texts import Text
from openbill.core.timeutil import add_period
from openbill.invoicing.selectors import charge_amount, renewal_net

from . import actions, events, remote, rules
from .choices import Operation, SuspendReason
from .models import Service
from .selectors import renewal_amount, renewal_components, with_pricing


@dataclass(frozen=True)
class Renewal:
    expense: Expense
    created: bool
    period_start: datetime
    period_end: datetime


def period_start(expires_at: datetime | None, now: datetime) -> datetime:
    """The start of the next paid period, ``max(expiry, now)``: a lapsed service restarts from
    now, a running one continues where its paid time ends."""
    if expires_at is None or expires_at < now:
        return now
    return expires_at


def next_period_start(service: Service, now: datetime) -> datetime:
    return period_start(service.expires_at, now)


def period_end(start: datetime, period: str, tz: Any) -> datetime:
    """One ``period`` after ``start`` on the provider's calendar."""
    return add_period(start, period, tz)


def renewal_description(name: str, end: datetime, tz: Any) -> Text:
    """The ledger description of a renewal: the service and the local date it now runs to."""
    return Text("renewal", name=name, date=end.astimezone(tz).date())


def renewal_note(start: datetime, end: datetime, amount: Decimal, currency: str) -> Text:
    """The History note of a renewal."""
    return Text("renewed", start=start, end=end, amount=Money(amount, currency))


def _paid_from(service: Service, start: datetime) -> bool:
    return Expense.objects.filter(service=service, kind=ExpenseKind.PERIOD, key=period_key(start)).exists()


def renew_service(
    service: Service | int,
    *,
    actor: Actor,
    now: datetime,
    period: str | None = None,
    expected_start: datetime | None = None,
    allow_overdraft: bool = False,
) -> Renewal:
    """Charge one period from the balance and extend the service.

    ``expected_start``, when given, is the period start the caller saw (the sweep's "due"
    expiry, the price shown to the client): if the service has moved on since, nothing is
    charged and the existing renewal for that start is returned. For a lapsed service, whose
    period starts now, a start in the past counts as now. Raises InsufficientFunds.
    """
    with transaction.atomic():
        locked = actions.lock(service)
        # Nothing is charged for a service being deleted (paid time after the deletion date
        # would be lost: a scheduled deletion keeps its date).
        rules.check_allowed(locked, rules.Action.EXTEND, now)
        period = period or locked.period
        start = next_period_start(locked, now)
        if (
            expected_start is not None
            and start == now
            and expected_start <= now
            and not _paid_from(locked, expected_start)
        ):
            # A lapsed service restarts from the moment it is paid: the start shown with its
            # price ("now" then) is in the past by the time the client confirms. A repeat of a
            # confirmed renewal finds the service running again and is refused below.
            expected_start = now
        if expected_start is not None and start != expected_start:
            done = Expense.objects.filter(
                service=locked, kind=ExpenseKind.PERIOD, key=period_key(expected_start)
            ).first()
            if done is not None:
                return Renewal(done, False, done.period_start or expected_start, done.period_end or expected_start)
            raise DomainError(_("The service has changed since its renewal was priced; try again."))
        priced = with_pricing(Service.objects.filter(pk=locked.pk)).get()
        amount = renewal_amount(priced, period)
        if amount is None:
            raise DomainError(_("This tariff does not sell that period."), field="period")
        # A promo code's recurring discount, then the tax (invoicing: the rule the low-balance
        # notices and the preview announce); the parts are split from the net.
        net = renewal_net(locked, amount, now=now)
        components = renewal_components(priced, period, net)
        amount = charge_amount(locked.client, net, now=now)
        end = period_end(start, period, locked.client.provider.tz)
        expense, created = charge_service(
            locked,
            kind=ExpenseKind.PERIOD,
            key=period_key(start),
            amount=amount,
            description=renewal_description(locked.name, end, locked.client.provider.tz),
            now=now,
            period_start=start,
            period_end=end,
            actor=actor,
            allow_overdraft=allow_overdraft,
            components=components,
        )
        if not created:
            return Renewal(expense, False, start, end)
        locked.expires_at = end
        if period != locked.period:
            locked.period = period
        locked.save(update_fields=["expires_at", "period"])
        events.record(
            locked,
            "renewed",
            actor=actor,
            now=now,
            note=renewal_note(start, end, Decimal(expense.amount), expense.currency),
        )
        if SuspendReason.EXPIRED in locked.suspend_reasons:
            # A service stopped only because it expired resumes once paid (reconcile opens it).
            # The expired reason is the system's own, so the system lifts it, whoever paid.
            actions.resume(locked, reason=SuspendReason.EXPIRED, actor=Actor.system("renewal"), now=now)
        _renew_remotely(locked, period, actor=actor, now=now)
        return Renewal(expense, True, start, end)


def _renew_remotely(service: Service, period: str, *, actor: Actor, now: datetime) -> None:
    """A module that keeps its own paid period (a domain registrar: capability ``renewal``)
    renews there too, through the provisioning queue: retries, the staff queue on a permanent
    failure, *In progress (renewal)* meanwhile (the parameters are the queue's: see
    provisioning.operations.renewal_params)."""
    if service.module_id is None:
        return
    service.refresh_from_db(fields=["operation", "parameters"])  # a resume may have opened since
    params = remote.queue().renewal_params(service, period)
    if params is None:
        return
    if service.operation == Operation.RESUME:
        # Paid while stopped: the resume the payment opened runs first; the renewal starts once
        # it is done (the module's app: domains.actions.domain_operation_done).
        parameters = {**service.parameters, "renewal_after_resume": params}
        Service.objects.filter(pk=service.pk).update(parameters=parameters)
        service.parameters = parameters
    elif not service.operation:
        actions.start_operation(service, Operation.RENEWAL, actor=actor, now=now, params=params)
