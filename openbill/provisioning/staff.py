"""What staff do with operations: complete one by hand, queue it again, give it up, and the
queues they work from.

Completing goes through the same ``actions.complete`` as a module's confirmation, so the
service's status follows in the same way; cancelling asks services (and orders, for a paid
change) to put back what the operation had changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition
from openbill.core.texts import Text
from openbill.orders.actions import revert_change
from openbill.services import actions as services
from openbill.services import events
from openbill.services.choices import Status
from openbill.services.models import Service

from . import tasks
from .actions import choose_module, complete
from .models import OPEN_STATES, ProvisioningTask, TaskState


def _open_task(task: ProvisioningTask | int) -> ProvisioningTask:
    pk = task if isinstance(task, int) else task.pk
    return ProvisioningTask.objects.select_related("service", "module").get(pk=pk)


def staff_complete(task: ProvisioningTask | int, *, actor: Actor, now: datetime, note: str = "") -> None:
    """Staff did the work by hand (manual module, or a failed operation completed by hand)."""
    task = _open_task(task)
    with transaction.atomic():
        changed = ProvisioningTask.objects.filter(
            pk=task.pk, state__in=[TaskState.WAITING_STAFF, TaskState.QUEUED]
        ).update(state=TaskState.WAITING_STAFF)
        if changed != 1:
            raise IllegalTransition(_("The operation is not waiting for staff."))
        if task.operation == "activation" and task.module is None:
            # Done by hand on whichever server staff chose: attach the best candidate, if any.
            module = choose_module(task.service)
            if module is not None:
                services.attach_module(task.service_id, module)
        complete(
            task, now=now, result={}, actor=actor, note=Text.verbatim(note) if note else Text("completed_by_staff")
        )


def staff_retry(task: ProvisioningTask | int, *, actor: Actor, now: datetime) -> None:
    """Queue a failed or manual operation again, as if new (its attempts start over)."""
    task = _open_task(task)
    with transaction.atomic():
        changed = ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.WAITING_STAFF).update(
            state=TaskState.QUEUED, next_attempt_at=now, attempts=0
        )
        if changed != 1:
            raise IllegalTransition(_("The operation is not waiting for staff."))
        events.record(
            task.service, "operation retried", actor=actor, now=now, note=Text("operation", operation=task.operation)
        )
        tasks.run_provisioning_task.enqueue(task.pk)


def staff_cancel(task: ProvisioningTask | int, *, actor: Actor, now: datetime, note: str = "") -> None:
    """Staff give up an operation: the status stays as last confirmed. Cancelling an
    activation cancels the order: the service is deleted and its charges returned."""
    task = _open_task(task)
    with transaction.atomic():
        changed = (
            ProvisioningTask.objects.filter(pk=task.pk, state__in=OPEN_STATES)
            .exclude(state=TaskState.RUNNING)
            .update(state=TaskState.CANCELLED, finished_at=now)
        )
        if changed != 1:
            raise IllegalTransition(_("The operation cannot be cancelled now."))
        # Refuses (409) a suspension or resume the reasons still call for; a cancelled deletion
        # keeps the service and takes its refund back (services.actions.cancel_operation).
        service = services.cancel_operation(
            task.service_id, task.operation, actor=actor, now=now, note=Text.verbatim(note) if note else None
        )
        # A domain's name-server or contact update (``ns``/``contacts``) charged nothing: there
        # is no change to reverse, and an earlier paid change must stay.
        if task.operation == "reconfiguration" and not {"ns", "contacts"} & set(task.params):
            # The remote never changed: reverse the change's charges, restore tariff and add-ons.
            revert_change(service, actor=actor, now=now, line_id=task.params.get("line"))
        if task.operation == "activation" and service.activated_at is None:
            services.delete_undelivered(
                service,
                actor=actor,
                now=now,
                note=Text.verbatim(note) if note else Text("activation_cancelled_by_staff"),
            )


def staff_queue() -> Any:
    """Operations waiting for a person: manual work and permanent failures, oldest first."""
    return (
        ProvisioningTask.objects.filter(state=TaskState.WAITING_STAFF)
        .select_related("service__client", "module")
        .order_by("created_at", "pk")
    )


def not_available_services() -> Any:
    """Services waiting for an instance with room, oldest first."""
    return (
        Service.objects.filter(status=Status.NOT_AVAILABLE, operation="")
        .select_related("client", "tariff")
        .order_by("created_at", "pk")
    )
