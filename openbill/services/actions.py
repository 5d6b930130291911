"""Everything that changes a service's status facts.

``set_status`` is the only writer of ``status``; it is called when a module confirms an
operation (``complete_operation``). Suspension reasons are recorded at once and open the
remote operation; the status follows on confirmation (DESIGN.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind
from openbill.billing.rules import FIRST_PERIOD_KEY
from openbill.billing.selectors import unused_amount
from openbill.catalog.models import DeletionWhen, DeletionWho
from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition, NotAllowed
from openbill.core.money import Money, round_amount
from openbill.core.texts import Text
from openbill.core.timeutil import add_period

from . import events, notifications, remote, rules
from .choices import OPERATION_FROM, OPERATION_RESULT, TRANSITIONS, Operation, Status, SuspendReason
from .models import REASON_FIELDS, Service

# Reasons a client may lift; the others belong to staff or to the system (DESIGN §3).
CLIENT_REASONS = frozenset({SuspendReason.CLIENT})


def lock(service: Service | int) -> Service:
    """The service row, locked for the rest of the transaction."""
    pk = service if isinstance(service, int) else service.pk
    return Service.objects.select_for_update().select_related("client__provider", "tariff", "product_type").get(pk=pk)


def set_status(service: Service, to: str, *, actor: Actor, now: datetime, note: Text | None = None) -> None:
    """Move the confirmed status along the transition table and write the History row.

    The caller holds the row lock (``lock``) inside a transaction.
    """
    old = service.status
    if to not in TRANSITIONS[old]:
        raise IllegalTransition(
            _("A service cannot go from %(old)s to %(new)s.") % {"old": Status(old).label, "new": Status(to).label}
        )
    service.status = to
    fields = ["status"]
    if to == Status.SUSPENDED:
        service.suspended_at = now
        fields.append("suspended_at")
    elif old == Status.SUSPENDED:
        service.suspended_at = None
        fields.append("suspended_at")
    if to == Status.DELETED:
        service.deleted_at = now
        fields.append("deleted_at")
    service.save(update_fields=fields)
    event = events.record(service, "status", actor=actor, now=now, from_status=old, to_status=to, note=note)
    # Tell the client about the confirmed change (sent once, after commit).
    notifications.status_changed(service, old, to, event_id=event.pk, now=now)


def start_operation(
    service: Service,
    operation: str,
    *,
    actor: Actor,
    now: datetime,
    params: dict[str, object] | None = None,
) -> None:
    """Open the service's running operation and queue its remote work (same transaction)."""
    follow_operation(service, operation, actor=actor, now=now)
    remote.queue().enqueue(service, operation, actor=actor, now=now, params=params or {})


def follow_operation(
    service: Service, operation: str, *, actor: Actor, now: datetime, note: Text | None = None
) -> None:
    """Open an operation that the remote system carries on by itself, with no task here to run
    (a registry transfer waiting for the losing registrar): the app that follows it closes it
    with ``complete_operation`` (confirmed) or ``cancel_operation``. The caller holds the lock."""
    if service.operation:
        raise IllegalTransition(
            _("Another operation is in progress: %(operation)s.") % {"operation": Operation(service.operation).label}
        )
    if service.status not in OPERATION_FROM[operation]:
        raise IllegalTransition(
            _("%(operation)s is not possible while the service is %(status)s.")
            % {"operation": Operation(operation).label.capitalize(), "status": Status(service.status).label}
        )
    service.operation = operation
    service.save(update_fields=["operation"])
    events.record(
        service, "operation started", actor=actor, now=now, note=note or Text("operation", operation=operation)
    )


def complete_operation(
    service_id: int, operation: str, *, actor: Actor, now: datetime, note: Text | None = None
) -> Service:
    """The module confirmed ``operation``: apply its status, close it, and start what follows."""
    with transaction.atomic():
        service = lock(service_id)
        if service.operation != operation:
            raise IllegalTransition(_("No %(operation)s is in progress.") % {"operation": Operation(operation).label})
        # The row keeps the finished operation until the end: a resume (suspended, no reason) or
        # a suspension whose reason was lifted meanwhile must never be written as "suspended,
        # no reason, no operation" (the check constraint); reconcile opens what follows first.
        service.operation = ""
        target = OPERATION_RESULT[operation]
        if operation == Operation.ACTIVATION:
            # The paid period starts when the service becomes Active (DESIGN §3).
            service.activated_at = now
            service.expires_at = add_period(now, service.period, service.client.provider.tz)
            service.save(update_fields=["activated_at", "expires_at"])
            # The first period was paid at order time under the key "first", before its dates
            # were known (orders.actions.pay_order); they are known now, once. The amount is
            # never touched, so the expense stays what was charged.
            Expense.objects.filter(
                service=service, kind=ExpenseKind.PERIOD, key=FIRST_PERIOD_KEY, period_start__isnull=True
            ).update(period_start=now, period_end=service.expires_at)
        if target is not None and target != service.status:
            set_status(service, target, actor=actor, now=now, note=note or Text("operation", operation=operation))
        else:
            events.record(
                service, "operation done", actor=actor, now=now, note=note or Text("operation", operation=operation)
            )
        reconcile(service, actor=actor, now=now)
        service.save(update_fields=["operation"])
        return service


def reconcile(service: Service, *, actor: Actor, now: datetime) -> None:
    """Start the operation that brings the remote state in line with the reasons, if any."""
    if service.operation or service.status == Status.DELETED:
        return
    if service.delete_at is not None and service.delete_at <= now:
        start_operation(service, Operation.DELETION, actor=actor, now=now)
    elif service.status == Status.ACTIVE and service.suspend_reasons:
        start_operation(service, Operation.SUSPENSION, actor=actor, now=now)
    elif service.status == Status.SUSPENDED and not service.suspend_reasons:
        start_operation(service, Operation.RESUME, actor=actor, now=now)


def suspend(service: Service, *, reason: str, actor: Actor, now: datetime, note: Text | None = None) -> Service:
    """Record why the service must stop and, if it is running, start the remote suspension."""
    with transaction.atomic():
        service = lock(service)
        if service.status == Status.DELETED:
            raise IllegalTransition(_("The service is deleted."))
        if actor.kind == "client":
            rules.check_allowed(service, rules.Action.SUSPEND, now)
        if reason == SuspendReason.CLIENT and not service.product_type.client_can_suspend:
            raise NotAllowed(_("This service cannot be suspended by the client."))
        if reason == SuspendReason.CLIENT and service.status != Status.ACTIVE:
            raise IllegalTransition(_("Only an active service can be suspended."))
        if reason in service.suspend_reasons:
            return service  # already asked for, for this reason
        _change_reasons(
            service,
            service.suspend_reasons | {reason},
            actor=actor,
            now=now,
            kind="suspension requested",
            note=note or Text("suspend_reason", reason=reason),
        )
        return service


def resume(service: Service, *, reason: str, actor: Actor, now: datetime, note: Text | None = None) -> Service:
    """Lift one reason; the service resumes once no reason remains."""
    with transaction.atomic():
        service = lock(service)
        if actor.kind == "client":
            rules.check_allowed(service, rules.Action.RESUME, now)
        if reason not in service.suspend_reasons:
            if actor.kind == "client":
                raise IllegalTransition(_("The service is not suspended by you."))
            return service
        if actor.kind == "client" and reason not in CLIENT_REASONS:
            raise NotAllowed(_("Only the provider can lift this suspension."))
        _change_reasons(
            service,
            service.suspend_reasons - {reason},
            actor=actor,
            now=now,
            kind="suspension lifted",
            note=note or Text("suspend_reason", reason=reason),
        )
        return service


def _change_reasons(
    service: Service, reasons: frozenset[str], *, actor: Actor, now: datetime, kind: str, note: Text
) -> None:
    """Record the new reasons and open the operation they call for, in one consistent write:
    the operation is opened first, so that the row never shows a suspended service with
    neither a reason nor an operation (the table's check constraint)."""
    events.record(service, kind, actor=actor, now=now, note=note)
    service.suspend_reasons = reasons
    reconcile(service, actor=actor, now=now)
    service.save(update_fields=list(REASON_FIELDS.values()))


def reboot(service: Service, *, actor: Actor, now: datetime) -> Service:
    with transaction.atomic():
        service = lock(service)
        if service.product_type.kind not in rules.REBOOTABLE_KINDS:
            raise NotAllowed(_("Only servers can be rebooted."))
        rules.check_allowed(service, rules.Action.REBOOT, now)
        start_operation(service, Operation.REBOOT, actor=actor, now=now)
        return service


def fail_operation(service_id: int, operation: str, *, actor: Actor, now: datetime, error: str) -> None:
    """A permanent failure: the service stays visibly In progress; staff see it in the queue."""
    with transaction.atomic():
        service = lock(service_id)
        # The client reads History: the module's error stays on the task (staff only).
        event = events.record(
            service,
            "operation failed",
            actor=actor,
            now=now,
            note=Text("operation_failed", operation=operation),
        )
        # A failed activation is the client's news too.
        notifications.operation_failed(service, operation, event_id=event.pk, now=now)


def cancel_operation(
    service_id: int, operation: str, *, actor: Actor, now: datetime, note: Text | None = None
) -> Service:
    """Staff give up an operation: the status stays as last confirmed.

    A suspension or resume that the reasons still call for cannot be given up (the service
    would run with a reason to stop, or stay stopped with none): staff retry it or complete it
    by hand. Cancelling a deletion keeps the service and takes back the refund of its unused
    period; whatever the reasons call for next is started (reconcile)."""
    with transaction.atomic():
        service = lock(service_id)
        if service.operation != operation:
            raise IllegalTransition(_("No %(operation)s is in progress.") % {"operation": Operation(operation).label})
        still_needed = (service.status == Status.ACTIVE and bool(service.suspend_reasons)) or (
            service.status == Status.SUSPENDED and not service.suspend_reasons
        )
        if operation in (Operation.SUSPENSION, Operation.RESUME) and still_needed:
            raise IllegalTransition(
                _(
                    "The %(operation)s cannot be cancelled: the service's suspension reasons still call for it. "
                    "Retry it, or complete it by hand."
                )
                % {"operation": Operation(operation).label}
            )
        service.operation = ""
        fields = ["operation"]
        events.record(
            service, "operation cancelled", actor=actor, now=now, note=note or Text("operation", operation=operation)
        )
        if operation == Operation.DELETION:
            # Staff keep the service: the scheduled-deletion sweep must not start it again, and
            # the refund given when the deletion was asked for is taken back.
            service.delete_at = None
            fields.append("delete_at")
            _reverse_deletion_refunds(service, actor=actor, now=now)
        reconcile(service, actor=actor, now=now)
        service.save(update_fields=fields)
        return service


def _reverse_deletion_refunds(service: Service, *, actor: Actor, now: datetime) -> None:
    """New entries that cancel the refunds of deletions that did not happen (never edits)."""
    refunds = Expense.objects.filter(service=service, kind=ExpenseKind.REFUND, key__startswith=DELETION_KEY)
    for refund in refunds.exclude(key__endswith=REVERSED_SUFFIX).order_by("pk"):
        expense, created = charge_service(
            service,
            kind=ExpenseKind.REFUND,
            key=f"{refund.key}{REVERSED_SUFFIX}",
            amount=-refund.amount,
            description=Text("refund_reversed", name=service.name),
            now=now,
            period_start=refund.period_start,
            period_end=refund.period_end,
            actor=actor,
            # The client keeps the service it was refunded for: what it owes is owed even if
            # the refund was spent meanwhile (a correction, not a purchase).
            allow_overdraft=True,
        )
        if created:
            events.record(
                service,
                "refund reversed",
                actor=actor,
                now=now,
                note=Text("amount", amount=Money(expense.amount, expense.currency)),
            )


def attach_module(service_id: int, module: object) -> None:
    """Record the instance that carries the service (chosen when its activation runs, or by
    staff who set it up by hand)."""
    Service.objects.filter(pk=service_id).update(module=module)


def set_remote_id(service_id: int, remote_id: str) -> None:
    """The service's id on the remote system, as its module reported it."""
    Service.objects.filter(pk=service_id).update(remote_id=remote_id)


def mark_not_available(service_id: int, *, actor: Actor, now: datetime, note: Text | None = None) -> Service:
    """No module has capacity: the activation ends and the service waits as Not available,
    holding no capacity on any instance."""
    with transaction.atomic():
        service = lock(service_id)
        service.operation = ""
        service.module = None
        service.save(update_fields=["operation", "module"])
        if service.status != Status.NOT_AVAILABLE:
            # ``note`` may be a module's own words: History (the client's) gets the plain reason.
            set_status(service, Status.NOT_AVAILABLE, actor=actor, now=now, note=Text("no_room"))
        return service


def missing_parameters(service: Service) -> list[str]:
    """Codes of the product type's required parameters the service does not have yet."""
    return [
        p.code
        for p in service.product_type.parameters.all()
        if p.required and not str(service.parameters.get(p.code, "")).strip()
    ]


def request_activation(service: Service | int, *, actor: Actor, now: datetime) -> Service:
    """After payment: start activation, or wait as "Configuration required" for a quick order
    whose parameters the client has not given yet."""
    with transaction.atomic():
        service = lock(service)
        if service.operation == Operation.ACTIVATION or service.status in (Status.ACTIVE, Status.SUSPENDED):
            return service  # already under way or done: paying twice must not activate twice
        if missing_parameters(service):
            if service.status != Status.CONFIGURATION_REQUIRED:
                set_status(
                    service,
                    Status.CONFIGURATION_REQUIRED,
                    actor=actor,
                    now=now,
                    note=Text("waiting_parameters"),
                )
            return service
        start_operation(service, Operation.ACTIVATION, actor=actor, now=now)
        return service


def supply_parameters(service: Service | int, values: dict[str, str], *, actor: Actor, now: datetime) -> Service:
    """The client completes a quick order; activation starts once nothing is missing.

    ``values`` must already be validated (catalog.ProductParameter.clean_value)."""
    with transaction.atomic():
        service = lock(service)
        service.parameters = {**service.parameters, **values}
        service.save(update_fields=["parameters"])
        events.record(service, "parameters changed", actor=actor, now=now, note=Text("list", items=sorted(values)))
        if (
            service.status == Status.CONFIGURATION_REQUIRED
            and not service.operation
            and not missing_parameters(service)
        ):
            start_operation(service, Operation.ACTIVATION, actor=actor, now=now)
        return service


# --- lifecycle actions: errors, deletion ------------------------------------------------------
def note_operation_error(
    service_id: int, operation: str, *, actor: Actor, now: datetime, error: str, retry_at: datetime
) -> None:
    """A retryable module error: History says what failed and when it is tried again; the
    status and the running operation stay as they are."""
    with transaction.atomic():
        service = lock(service_id)
        events.record(
            service,
            "operation error",
            actor=actor,
            now=now,
            # The client reads History: the module's error stays on the task (staff only).
            note=Text("operation_retry", operation=operation, at=retry_at),
        )


DELETION_KEY = "deletion"
REVERSED_SUFFIX = ":reversed"


def refund_unused(service: Service, *, actor: Actor, now: datetime) -> Decimal:
    """Return the unused part of what was paid to the balance, once per deletion request (its
    business key is the deletion and the moment it was asked for: a deletion that staff
    cancel is reversed, and a later one refunds again), as a negative charge. Returns the
    amount refunded."""
    amount = unused_amount(service, now=now)
    if amount <= 0:
        return Decimal(0)
    expense, _created = charge_service(
        service,
        kind=ExpenseKind.REFUND,
        key=f"{DELETION_KEY}:{now.isoformat()}",
        amount=-amount,
        description=Text("refund_unused", name=service.name),
        now=now,
        period_start=now,
        period_end=service.expires_at,
        actor=actor,
    )
    events.record(
        service, "refund", actor=actor, now=now, note=Text("amount", amount=Money(-expense.amount, expense.currency))
    )
    return -expense.amount


def delete_undelivered(service: Service, *, actor: Actor, now: datetime, note: Text | None = None) -> Service:
    """Delete a service that was never delivered (Ordered, Configuration required, Not
    available, never activated): no remote work, and every charge for it is returned."""
    with transaction.atomic():
        service = lock(service)
        if service.status == Status.DELETED:
            return service
        if service.operation or service.activated_at is not None:
            raise IllegalTransition(_("The service has been delivered; it is deleted through its module."))
        paid = Expense.objects.filter(service=service).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if paid > 0:
            charge_service(
                service,
                kind=ExpenseKind.REFUND,
                key="undelivered",
                amount=-paid,
                description=Text("refund_undelivered", name=service.name),
                now=now,
                actor=actor,
            )
            events.record(
                service,
                "refund",
                actor=actor,
                now=now,
                note=Text("amount", amount=Money(paid, service.client.currency)),
            )
        set_status(service, Status.DELETED, actor=actor, now=now, note=note or Text("deleted_before_delivery"))
        return service


UNDELIVERED = frozenset({Status.ORDERED, Status.CONFIGURATION_REQUIRED, Status.NOT_AVAILABLE})


def undelivered(service: Service) -> bool:
    """Never delivered: deleting it needs no remote work and returns its charges."""
    return service.status in UNDELIVERED and service.activated_at is None


def paid_period_end(service: Service, now: datetime) -> datetime | None:
    """The end of the paid period while it runs (a deletion at its end is scheduled, not
    started); None once it is over."""
    return service.expires_at if service.expires_at is not None and service.expires_at > now else None


@dataclass(frozen=True)
class DeletionTerms:
    """What deleting the service means if its client asks now, by the product type's policy:
    whether the client may, whether it happens at once or at ``ends_at``, and the refund."""

    allowed: bool
    undelivered: bool
    at_period_end: bool
    ends_at: datetime | None
    refund: Decimal


def deletion_terms(service: Service, *, now: datetime) -> DeletionTerms:
    """The terms ``delete_service`` applies to a client's deletion, for the page that asks."""
    policy = service.product_type
    never_delivered = undelivered(service)
    ends_at = paid_period_end(service, now)
    at_end = not never_delivered and policy.deletion_when == DeletionWhen.PERIOD_END and ends_at is not None
    refund = Decimal(0)
    if not at_end and not never_delivered and policy.refund_unused:
        refund = round_amount(unused_amount(service, now=now), service.client.currency)
    return DeletionTerms(
        allowed=policy.deletion_who == DeletionWho.CLIENT_AND_STAFF and service.status != Status.DELETED,
        undelivered=never_delivered,
        at_period_end=at_end,
        ends_at=ends_at if at_end else None,
        refund=refund,
    )


def delete_service(
    service: Service | int,
    *,
    actor: Actor,
    now: datetime,
    at_period_end: bool | None = None,
    refund: bool | None = None,
) -> Service:
    """Delete a service as its product type's policy says (reference §2.8).

    A client may delete only if the product type allows it (``deletion_who``), at once or at
    the end of the paid period (``deletion_when``: ``delete_at`` shows the scheduled date and
    auto-renewal is switched off), with the unused part refunded when ``refund_unused``. Staff
    delete at once by default and choose both options. A service never delivered is deleted
    without remote work and its charges are returned. When another operation is under way, the
    deletion follows it (reconcile).
    """
    with transaction.atomic():
        service = lock(service)
        policy = service.product_type
        if actor.kind == "client":
            rules.check_allowed(service, rules.Action.DELETE, now)
            if policy.deletion_who == DeletionWho.STAFF_ONLY:
                raise NotAllowed(_("This service can be deleted only by the provider."))
            at_period_end = policy.deletion_when == DeletionWhen.PERIOD_END
            refund = policy.refund_unused
        at_period_end = bool(at_period_end)
        refund = policy.refund_unused if refund is None else refund
        if service.status == Status.DELETED:
            raise IllegalTransition(_("The service is deleted."))
        if service.operation == Operation.DELETION:
            return service  # already under way
        if service.delete_at is not None and service.delete_at <= now:
            return service  # already asked for: it follows the running operation (reconcile)
        if undelivered(service):
            if service.operation:
                raise IllegalTransition(
                    _("Another operation is in progress: %(operation)s.")
                    % {"operation": Operation(service.operation).label}
                )
            return delete_undelivered(service, actor=actor, now=now)
        if at_period_end and (ends_at := paid_period_end(service, now)) is not None:
            if service.delete_at == ends_at:
                return service
            service.delete_at = ends_at
            service.auto_renew = False
            service.save(update_fields=["delete_at", "auto_renew"])
            events.record(
                service,
                "deletion scheduled",
                actor=actor,
                now=now,
                note=Text("deletion_on", at=service.delete_at),
            )
            return service
        if refund and service.operation == Operation.RECONFIGURATION:
            # Its charge may yet be reversed (staff cancel it): refund once that is settled.
            raise IllegalTransition(_("A change of the service is in progress; delete it once the change is done."))
        events.record(service, "deletion requested", actor=actor, now=now)
        if refund:
            refund_unused(service, actor=actor, now=now)
        service.delete_at = now
        service.auto_renew = False
        service.save(update_fields=["delete_at", "auto_renew"])
        reconcile(service, actor=actor, now=now)
        return service


def cancel_scheduled_deletion(service: Service | int, *, actor: Actor, now: datetime) -> Service:
    """Keep a service whose deletion at the end of the period was asked for."""
    with transaction.atomic():
        service = lock(service)
        if service.delete_at is None or service.delete_at <= now or service.operation == Operation.DELETION:
            raise IllegalTransition(_("No deletion is scheduled for this service."))
        service.delete_at = None
        service.save(update_fields=["delete_at"])
        events.record(service, "deletion cancelled", actor=actor, now=now)
        return service
