"""Provisioning tasks: queue, claim under a lease, run the module outside any lock, record.

Exactly-once is ours, not the queue's (DESIGN.md §1): a task is claimed by a compare-and-swap
update that sets a lease; the remote call happens after that commit, with no row locks held;
the result is recorded by a second compare-and-swap that checks the lease is still ours. A
worker killed in between leaves a lease that expires; the reaper hands the task back and the
module sees the same idempotency key again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.crypto import decrypt_json
from openbill.core.errors import IllegalTransition

from .models import OPEN_STATES, ProcessingModule, ProvisioningTask, TaskState
from .modules.base import OPERATION_METHOD, ModuleError, NeedsStaff, NoCapacity, ServiceSpec, get_module

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MODULE_ACTOR = Actor.system("module")


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def choose_module(service: Any) -> ProcessingModule | None:
    """BILLmanager's order (reference §3.4): no errors first, under its running limit, the one
    already attached, then priority."""
    if service.module_id:
        return service.module
    candidates = list(ProcessingModule.objects.filter(enabled=True, tariffs=service.tariff_id))
    if not candidates:
        return None
    running = {
        row["module_id"]: row["n"]
        for row in ProvisioningTask.objects.filter(state=TaskState.RUNNING, module__in=candidates)
        .values("module_id")
        .annotate(n=Count("id"))
    }
    candidates.sort(
        key=lambda m: (m.has_errors, running.get(m.pk, 0) >= m.max_running, m.pk != service.module_id, -m.priority)
    )
    return candidates[0]


def enqueue(service: Any, operation: str, *, actor: Actor, now: datetime, params: dict[str, Any]) -> ProvisioningTask:
    """Create the task row in the caller's transaction and queue its run after commit."""
    from . import tasks

    module = choose_module(service)
    if module is not None and service.module_id is None and operation == "activation":
        service.module = module
        service.save(update_fields=["module"])
    task = ProvisioningTask.objects.create(
        service=service,
        operation=operation,
        module=module,
        params=params,
        idempotency_key=f"{service.pk}:{operation}:{uuid.uuid4().hex}",
        created_at=now,
        next_attempt_at=now,
        created_by=str(actor),
    )
    tasks.run_provisioning_task.enqueue(task.pk)
    return task


def claim(task_id: int, *, worker: str, now: datetime) -> ProvisioningTask | None:
    """Take the lease on a due task; None when another worker has it or it is not due."""
    due = Q(state=TaskState.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    changed = ProvisioningTask.objects.filter(due, pk=task_id).update(
        state=TaskState.RUNNING, lease_owner=worker, lease_until=now + LEASE
    )
    if changed != 1:
        return None
    return ProvisioningTask.objects.select_related("service__client__provider", "service__tariff", "module").get(
        pk=task_id
    )


def spec_for(task: ProvisioningTask) -> ServiceSpec:
    service = task.service
    resources: dict[str, Any] = {}
    for line in service.addons.select_related("addon", "enum_item"):
        resources[line.addon.resource] = line.enum_item.code if line.enum_item else line.quantity
    module = task.module
    return ServiceSpec(
        service_id=service.pk,
        name=service.name,
        remote_id=service.remote_id,
        period=service.period,
        parameters=dict(service.parameters),
        resources=resources,
        idempotency_key=task.idempotency_key,
        config=dict(module.config) if module else {},
        secrets=decrypt_json(module.secrets_encrypted) if module else {},
    )


def run(task_id: int, *, worker: str, now: datetime) -> str:
    """Run one task if it is due. Returns what happened (for logs and tests)."""
    task = claim(task_id, worker=worker, now=now)
    if task is None:
        return "skipped"
    try:
        if task.module is None:
            raise NeedsStaff(task.operation)
        module = get_module(task.module.kind)
        result = getattr(module, OPERATION_METHOD[task.operation])(spec_for(task)) or {}
    except NeedsStaff:
        _hand_to_staff(task, now=now, error="")
        return "staff"
    except NoCapacity as exc:
        _no_capacity(task, now=now, error=str(exc))
        return "not_available"
    except ModuleError as exc:
        if exc.retryable and task.attempts + 1 < task.max_attempts:
            _retry_later(task, now=now, error=str(exc))
            return "retry"
        _hand_to_staff(task, now=now, error=str(exc))
        return "failed"
    except Exception as exc:  # a bug or an unexpected remote answer: never lose the task
        log.exception("provisioning task %s crashed", task.pk)
        _retry_later(task, now=now, error=f"{type(exc).__name__}: {exc}")
        return "retry"
    complete(task, now=now, result=result, actor=MODULE_ACTOR, worker=worker)
    return "done"


def _still_mine(task: ProvisioningTask, worker: str | None) -> Q:
    condition = Q(pk=task.pk, state=TaskState.RUNNING)
    return condition & Q(lease_owner=worker) if worker else condition


def complete(
    task: ProvisioningTask,
    *,
    now: datetime,
    result: dict[str, Any],
    actor: Actor,
    worker: str | None = None,
    note: str = "",
) -> None:
    """Record the module's confirmation and apply it to the service, in one transaction."""
    from openbill.services import actions as services

    with transaction.atomic():
        states = (
            Q(pk=task.pk, state__in=[TaskState.RUNNING, TaskState.WAITING_STAFF])
            if worker is None
            else _still_mine(task, worker)
        )
        changed = ProvisioningTask.objects.filter(states).update(
            state=TaskState.DONE, finished_at=now, result=_jsonable(result), lease_owner="", lease_until=None
        )
        if changed != 1:
            raise IllegalTransition(_("The operation is no longer running."))
        remote_id = result.get("remote_id")
        if remote_id:
            type(task.service).objects.filter(pk=task.service_id).update(remote_id=str(remote_id))
        services.complete_operation(task.service_id, task.operation, actor=actor, now=now, note=note)


def _jsonable(result: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)) for k, v in result.items()
    }


def _retry_later(task: ProvisioningTask, *, now: datetime, error: str) -> None:
    ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.RUNNING).update(
        state=TaskState.QUEUED,
        attempts=task.attempts + 1,
        next_attempt_at=now + backoff(task.attempts + 1),
        last_error=error[:4000],
        lease_owner="",
        lease_until=None,
    )


def _hand_to_staff(task: ProvisioningTask, *, now: datetime, error: str) -> None:
    from openbill.services import actions as services

    with transaction.atomic():
        ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.RUNNING).update(
            state=TaskState.WAITING_STAFF,
            attempts=task.attempts + 1,
            last_error=error[:4000],
            lease_owner="",
            lease_until=None,
        )
        if error:
            services.fail_operation(task.service_id, task.operation, actor=MODULE_ACTOR, now=now, error=error)


def _no_capacity(task: ProvisioningTask, *, now: datetime, error: str) -> None:
    from openbill.services import actions as services

    with transaction.atomic():
        ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.RUNNING).update(
            state=TaskState.CANCELLED, finished_at=now, last_error=error[:4000], lease_owner="", lease_until=None
        )
        services.mark_not_available(task.service_id, actor=MODULE_ACTOR, now=now, note=error)


def staff_complete(task: ProvisioningTask, *, actor: Actor, now: datetime, note: str = "") -> None:
    """Staff did the work by hand (manual module, or a failed operation completed by hand)."""
    if task.state not in (TaskState.WAITING_STAFF, TaskState.QUEUED):
        raise IllegalTransition(_("The operation is not waiting for staff."))
    ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.QUEUED).update(state=TaskState.WAITING_STAFF)
    complete(task, now=now, result={}, actor=actor, note=note)


def staff_retry(task: ProvisioningTask, *, actor: Actor, now: datetime) -> None:
    from . import tasks

    with transaction.atomic():
        changed = ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.WAITING_STAFF).update(
            state=TaskState.QUEUED, next_attempt_at=now, attempts=0
        )
        if changed != 1:
            raise IllegalTransition(_("The operation is not waiting for staff."))
        tasks.run_provisioning_task.enqueue(task.pk)


def staff_cancel(task: ProvisioningTask, *, actor: Actor, now: datetime, note: str = "") -> None:
    from openbill.services import actions as services

    with transaction.atomic():
        changed = (
            ProvisioningTask.objects.filter(pk=task.pk, state__in=OPEN_STATES)
            .exclude(state=TaskState.RUNNING)
            .update(state=TaskState.CANCELLED, finished_at=now)
        )
        if changed != 1:
            raise IllegalTransition(_("The operation cannot be cancelled now."))
        services.cancel_operation(task.service_id, task.operation, actor=actor, now=now, note=note)


def reap(*, now: datetime) -> int:
    """Hand back tasks whose worker's lease expired (it died or hung)."""
    return ProvisioningTask.objects.filter(state=TaskState.RUNNING, lease_until__lt=now).update(
        state=TaskState.QUEUED, lease_owner="", lease_until=None, next_attempt_at=now
    )


def due_task_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        ProvisioningTask.objects.filter(state=TaskState.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
