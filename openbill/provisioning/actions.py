"""Provisioning tasks: queue, claim under a lease, run the module outside any lock, record.

Exactly-once is ours, not the queue's (DESIGN.md §1): a task is claimed by a compare-and-swap
update that sets a lease; the remote call happens after that commit, with no row locks held;
the result is recorded by a second compare-and-swap that checks the lease is still ours. A
worker killed in between leaves a lease that expires; the reaper hands the task back and the
module sees the same idempotency key again.

Outcomes of a module call:
- success → ``complete``: the task is done and the service's status follows (complete_operation);
- retryable ``ModuleError`` → queued again with backoff (30 s, 1 min, 2 min … 1 h), the error
  in History and on the task; the status does not change; after ``max_attempts`` it goes to
  staff like a permanent error;
- permanent ``ModuleError`` → the staff queue (``waiting_staff``) with the error; the service
  stays visibly In progress; staff retry, complete by hand, or cancel;
- ``NeedsStaff`` (manual module, or no module linked to the tariff) → the staff queue;
- ``NoCapacity`` on activation → the service becomes Not available (see ``reserve_module``).

Money policy for Not available: the client stays charged while the service waits —
it loses no paid time, because the paid period starts at activation — and the not-available
sweep activates it as soon as an instance has room. If staff cancel the activation or delete a
service that was never delivered, every charge for it is returned to the balance
(services.actions.delete_undelivered).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.crypto import encrypt
from openbill.core.errors import IllegalTransition
from openbill.core.texts import Text
from openbill.domains.actions import domain_operation_done, registry_refused
from openbill.ipam import actions as ipam
from openbill.services import actions as services
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.vdc.actions import vdc_operation_done

from . import capacity
from .models import Certificate, ProcessingModule, ProvisioningTask, TaskState
from .modules.base import OPERATION_METHOD, ModuleError, NeedsStaff, NoCapacity, get_module
from .specs import service_spec, spec_for, stored_for  # noqa: F401  (re-exported: callers use actions.service_spec)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MODULE_ACTOR = Actor.system("module")


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# --- choosing an instance ---------------------------------------------------------------------
def candidates(service: Any) -> list[ProcessingModule]:
    return list(ProcessingModule.objects.filter(enabled=True, tariffs=service.tariff_id).order_by("pk"))


def rank(service: Any, modules: list[ProcessingModule]) -> list[ProcessingModule]:
    """BILLmanager's order (reference §3.4), among the instances with room for the service:
    no errors first, then under its running-operations limit, then the one already attached,
    then priority, then the lowest id."""
    if not modules:
        return []
    running = {
        row["module_id"]: row["n"]
        for row in ProvisioningTask.objects.filter(state=TaskState.RUNNING, module__in=modules)
        .values("module_id")
        .annotate(n=Count("id"))
    }
    need = capacity.requirements(service)
    used = capacity.allocated(modules, exclude_service=service.pk)
    with_room = [m for m in modules if capacity.fits(m, used.get(m.pk, {}), need)]

    def at_limit(m: ProcessingModule) -> bool:
        return m.max_running > 0 and running.get(m.pk, 0) >= m.max_running

    return sorted(with_room, key=lambda m: (m.has_errors, at_limit(m), m.pk != service.module_id, -m.priority, m.pk))


def choose_module(service: Any) -> ProcessingModule | None:
    """The instance activation would pick now, or None (no instance linked, or none with room)."""
    ranked = rank(service, candidates(service))
    return ranked[0] if ranked else None


def reserve_module(task: ProvisioningTask) -> ProcessingModule | None:
    """Pick and attach the instance for an activation, under a lock on the candidate instances
    so that two workers cannot both fill the last slot. Raises NoCapacity when instances are
    linked to the tariff but none has room; returns None when none is linked (a person must
    set the service up: the staff queue, as BILLmanager's manual setup task)."""
    with transaction.atomic():
        service = Service.objects.select_related("tariff").get(pk=task.service_id)
        linked = list(
            ProcessingModule.objects.select_for_update().filter(enabled=True, tariffs=service.tariff_id).order_by("pk")
        )
        if not linked:
            return None
        ranked = rank(service, linked)
        if not ranked:
            raise NoCapacity(_("No server has room for this service."))
        module = ranked[0]
        services.attach_module(service.pk, module)
        ProvisioningTask.objects.filter(pk=task.pk).update(module=module)
        task.module = module
        task.service.module = module
        return module


def check_room_for_new_size(task: ProvisioningTask) -> None:
    """A change of resources must fit the instance the service lives on (capacity Openbill
    tracks); if it does not, staff decide (move it, raise the limit, or cancel)."""
    assert task.module is not None
    need = capacity.requirements(task.service)
    used = capacity.allocated([task.module], exclude_service=task.service_id).get(task.module.pk, {})
    if not capacity.fits(task.module, used, need):
        raise ModuleError(_("The server has no room for the new size."), retryable=False)


# --- claiming ---------------------------------------------------------------------------------
BUSY_DELAY = timedelta(seconds=10)


class Busy(Exception):
    """The task's instance already runs as many operations as it may (``max_running``)."""


def claim(task_id: int, *, worker: str, now: datetime) -> ProvisioningTask | None:
    """Take the lease on a due task; None when another worker has it or it is not due.

    An instance runs at most ``max_running`` operations at once (0 = unlimited): the claim
    counts its running tasks under a lock on the instance's row, so two workers cannot both
    take the last place; a task over the limit stays queued a few seconds (raises Busy)."""
    due = Q(state=TaskState.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    with transaction.atomic():
        module_id = ProvisioningTask.objects.filter(due, pk=task_id).values_list("module_id", flat=True).first()
        busy = False
        if module_id is not None:
            module = ProcessingModule.objects.select_for_update().get(pk=module_id)
            running = ProvisioningTask.objects.filter(module_id=module_id, state=TaskState.RUNNING).count()
            busy = bool(module.max_running) and running >= module.max_running
        if busy:
            ProvisioningTask.objects.filter(due, pk=task_id).update(next_attempt_at=now + BUSY_DELAY)
            changed = 0
        else:
            changed = ProvisioningTask.objects.filter(due, pk=task_id).update(
                state=TaskState.RUNNING, lease_owner=worker, lease_until=now + LEASE
            )
    if busy:
        raise Busy
    if changed != 1:
        return None
    return ProvisioningTask.objects.select_related("service__client__provider", "service__tariff", "module").get(
        pk=task_id
    )


# Result keys that carry secrets: stored encrypted where they belong, never in the task row.
SECRET_RESULT_KEYS = ("private_key", "account_key")


# --- running ----------------------------------------------------------------------------------
def run(task_id: int, *, worker: str, now: datetime) -> str:
    """Run one task if it is due. Returns what happened (for logs and tests)."""
    try:
        task = claim(task_id, worker=worker, now=now)
    except Busy:
        return "busy"  # the retry sweep runs it once a place is free
    if task is None:
        return "skipped"
    try:
        if task.operation == "activation" and task.module is None:
            reserve_module(task)
        if task.operation == "activation" and task.module is not None:
            # The main IPv4 (and IPv6) before the module is called; a full pool → NoCapacity.
            ipam.allocate_for_activation(task.service_id, module_id=task.module.pk, now=now, actor=MODULE_ACTOR)
        if task.module is None:
            raise NeedsStaff(task.operation)
        if task.operation == "reconfiguration":
            check_room_for_new_size(task)
        module = get_module(task.module.kind)
        # The remote call: no transaction, no row lock held (reliability invariant 8).
        result = getattr(module, OPERATION_METHOD[task.operation])(spec_for(task)) or {}
    except NeedsStaff:
        _hand_to_staff(task, now=now, error="")
        return "staff"
    except NoCapacity as exc:
        _no_capacity(task, now=now, error=str(exc) or _("No server has room for this service."))
        return "not_available"
    except ModuleError as exc:
        _module_health(task, now=now, error=str(exc) if exc.retryable else "")
        if exc.retryable and task.attempts + 1 < task.max_attempts:
            _retry_later(task, now=now, error=str(exc))
            return "retry"
        _hand_to_staff(task, now=now, error=str(exc))
        return "failed"
    except Exception as exc:  # a bug or an unexpected remote answer: never lose the task
        log.exception("provisioning task %s crashed", task.pk)
        _retry_later(task, now=now, error=f"{type(exc).__name__}: {exc}")
        return "retry"
    _module_health(task, now=now, error="")
    try:
        complete(task, now=now, result=result, actor=MODULE_ACTOR, worker=worker)
    except IllegalTransition:
        return "lost_lease"  # the reaper gave it to another worker meanwhile; theirs counts
    return "done"


def _module_health(task: ProvisioningTask, *, now: datetime, error: str) -> None:
    if task.module is None:
        return
    if error:
        ProcessingModule.objects.filter(pk=task.module.pk).update(
            has_errors=True, last_error=error[:2000], last_error_at=now
        )
    elif task.module.has_errors:
        ProcessingModule.objects.filter(pk=task.module.pk).update(has_errors=False)


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
    note: Text | None = None,
) -> None:
    """Record the module's confirmation and apply it to the service, in one transaction."""
    with transaction.atomic():
        states = (
            Q(pk=task.pk, state__in=[TaskState.RUNNING, TaskState.WAITING_STAFF])
            if worker is None
            else _still_mine(task, worker)
        )
        public = {k: v for k, v in result.items() if k not in SECRET_RESULT_KEYS}
        changed = ProvisioningTask.objects.filter(states).update(
            state=TaskState.DONE, finished_at=now, result=_jsonable(public), lease_owner="", lease_until=None
        )
        if changed != 1:
            raise IllegalTransition(_("The operation is no longer running."))
        _store_outputs(task, result, now=now)
        if "remote_id" in result and task.operation in ("activation", "deletion", "renewal"):
            services.set_remote_id(task.service_id, str(result["remote_id"] or ""))
        service = services.complete_operation(task.service_id, task.operation, actor=actor, now=now, note=note)
        if service.product_type.kind == "vdc":
            # A data center's machines follow its suspension and deletion (the module did the
            # remote part); their rows are the VDC app's.
            vdc_operation_done(service, task.operation, now=now)
        elif service.product_type.kind == "domain":
            # A registry confirmed: the domain's term (1-10 years); money given back on an
            # earlier refusal is taken again.
            domain_operation_done(service, task.operation, actor=actor, now=now)
        if task.operation == "deletion":
            ipam.release_service(task.service_id, now=now, actor=actor)


def _store_outputs(task: ProvisioningTask, result: dict[str, Any], *, now: datetime) -> None:
    """Keep what a module returned that Openbill must remember: an issued certificate (its
    generated key encrypted), a revocation, a generated ACME account key (on the instance,
    encrypted). Runs inside complete()'s transaction."""
    if result.get("account_key") and task.module is not None:
        module = ProcessingModule.objects.select_for_update().get(pk=task.module.pk)
        if not module.get_secrets().get("account_key"):
            module.set_secrets({"account_key": result["account_key"]})
            module.save(update_fields=["secrets_encrypted"])
    if result.get("certificate"):
        Certificate.objects.update_or_create(
            service_id=task.service_id,
            defaults={
                "domain": str(result.get("domain", "")),
                "serial": str(result.get("remote_id", "")),
                "certificate_pem": str(result["certificate"]),
                "chain_pem": str(result.get("chain", "")),
                "private_key_encrypted": encrypt(str(result["private_key"])) if result.get("private_key") else "",
                "not_after": datetime.fromisoformat(str(result["not_after"])),
                "issued_at": now,
                "revoked_at": None,
            },
        )
    if result.get("revoked"):
        Certificate.objects.filter(service_id=task.service_id, revoked_at__isnull=True).update(revoked_at=now)


def _jsonable(result: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)) for k, v in result.items()
    }


def _retry_later(task: ProvisioningTask, *, now: datetime, error: str) -> None:
    retry_at = now + backoff(task.attempts + 1)
    with transaction.atomic():
        changed = ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.RUNNING).update(
            state=TaskState.QUEUED,
            attempts=task.attempts + 1,
            next_attempt_at=retry_at,
            last_error=error[:4000],
            lease_owner="",
            lease_until=None,
        )
        if changed:
            services.note_operation_error(
                task.service_id, task.operation, actor=MODULE_ACTOR, now=now, error=error, retry_at=retry_at
            )


def _hand_to_staff(task: ProvisioningTask, *, now: datetime, error: str) -> None:
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
        service = services.lock(task.service_id)
        if service.product_type.kind == "domain":
            # A registry's refusal of a paid registration, transfer or renewal gives the money
            # back at once; staff still see the task.
            registry_refused(service, task.operation, actor=MODULE_ACTOR, now=now)


def _no_capacity(task: ProvisioningTask, *, now: datetime, error: str) -> None:
    with transaction.atomic():
        ProvisioningTask.objects.filter(pk=task.pk, state=TaskState.RUNNING).update(
            state=TaskState.CANCELLED, finished_at=now, last_error=error[:4000], lease_owner="", lease_until=None
        )
        services.mark_not_available(task.service_id, actor=MODULE_ACTOR, now=now)


# --- sweeps -----------------------------------------------------------------------------------
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


def retry_not_available(*, now: datetime, limit: int = 200) -> int:
    """Start activation again for waiting services for which an instance now has room.
    Services with no room stay as they are (no History noise every few minutes)."""
    started = 0
    waiting = list(
        Service.objects.filter(status="not_available", operation="").order_by("pk").values_list("pk", flat=True)[:limit]
    )
    for pk in waiting:
        service = Service.objects.select_related("tariff", "client", "product_type").get(pk=pk)
        module = choose_module(service)
        if module is None or not ipam_has_room(service, module_id=module.pk, now=now):
            continue
        services.request_activation(pk, actor=Actor.system("not-available sweep"), now=now)
        started += 1
    return started


def ipam_has_room(service: Any, *, module_id: int, now: datetime) -> bool:
    return ipam.has_room(service, module_id=module_id, now=now)


REISSUE_BEFORE = timedelta(days=30)


def reissue_due_certificates(*, now: datetime, limit: int = 200) -> int:
    """Start a renewal (reissue) for certificates that end within 30 days while their service
    is paid beyond that (an ACME certificate lasts 90 days; a service is sold by the year).
    Idempotent: a service with an open operation is skipped, and a reissued certificate is no
    longer due."""
    due = list(
        Certificate.objects.filter(
            revoked_at__isnull=True,
            not_after__lte=now + REISSUE_BEFORE,
            service__status=Status.ACTIVE,
            service__operation="",
            service__expires_at__gt=now,
        )
        .order_by("not_after")
        .values_list("service_id", "not_after")[:limit]
    )
    started = 0
    actor = Actor.system("certificate renewal")
    for service_id, not_after in due:
        with transaction.atomic():
            service = (
                Service.objects.select_for_update(skip_locked=True)
                .select_related("client__provider", "tariff", "product_type")
                .filter(pk=service_id, status=Status.ACTIVE, operation="")
                .first()
            )
            if service is None or service.expires_at is None or service.expires_at <= not_after:
                continue  # not paid beyond the certificate: the renewal of the service decides
            services.start_operation(service, "renewal", actor=actor, now=now)
            started += 1
    return started
