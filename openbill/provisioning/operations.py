"""Opening the remote work of a service operation: the task row and its run.

services.actions.start_operation opens an operation and hands it here through the port it
defines (services.remote); this app plugs ``QUEUE`` in when Django starts. The task row is
created in the caller's transaction and its run queued after the commit (the task backend is
the database: the worker cannot see the row before the commit).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from openbill.core.actors import Actor
from openbill.core.errors import IllegalTransition
from openbill.core.timeutil import PERIOD_MONTHS
from openbill.domains.actions import renewal_refusal

from . import tasks
from .models import ProcessingModule, ProvisioningTask, TaskState
from .modules.base import REGISTRY, Module, ModuleError, get_module, load_builtins


def module_for(service: Any, operation: str) -> ProcessingModule | None:
    """The instance that carries out ``operation``: the attached one, except for activation,
    which is chosen when the worker runs it (``actions.reserve_module``)."""
    if operation == "activation":
        return None
    return service.module  # type: ignore[no-any-return]


def enqueue(service: Any, operation: str, *, actor: Actor, now: datetime, params: dict[str, Any]) -> ProvisioningTask:
    """Create the task row in the caller's transaction and queue its run after commit."""
    task = ProvisioningTask.objects.create(
        service=service,
        operation=operation,
        module=module_for(service, operation),
        params=params,
        idempotency_key=f"{service.pk}:{operation}:{uuid.uuid4().hex}",
        created_at=now,
        next_attempt_at=now,
        created_by=str(actor),
    )
    tasks.run_provisioning_task.enqueue(task.pk)
    return task


def renewal_params(service: Any, period: str) -> dict[str, Any] | None:
    """For a module that keeps its own paid period (a domain registrar: capability
    ``renewal``), the remote renewal's parameters: the years paid, and the expiry the remote
    last reported (``expires``), so that a repeated renewal is refused by the remote rather
    than done twice. None for any other module."""
    if service.product_type.kind == "domain":
        refusal = renewal_refusal(service)
        if refusal:
            raise IllegalTransition(refusal)  # a domain in redemption is restored, not renewed
    module = service.module
    if module is None:
        return None
    try:
        if "renewal" not in get_module(module.kind).capabilities:
            return None
    except ModuleError:
        return None
    params: dict[str, Any] = {"years": max(PERIOD_MONTHS.get(period, 12) // 12, 1)}
    for result in (
        ProvisioningTask.objects.filter(service=service, state=TaskState.DONE, operation__in=["activation", "renewal"])
        .order_by("-finished_at", "-id")
        .values_list("result", flat=True)
    ):
        if isinstance(result, dict) and result.get("expires"):
            params["expires"] = result["expires"]
            break
    return params


def prolonging_kinds() -> set[str]:
    """The modules that renew something remotely (a certificate, a domain): those with their
    own ``prolong``. The others keep a paid period locally only."""
    load_builtins()
    return {name for name, cls in REGISTRY.items() if cls.prolong is not Module.prolong}


class _Queue:
    """services.remote.Queue, carried out by this app."""

    enqueue = staticmethod(enqueue)
    renewal_params = staticmethod(renewal_params)
    prolonging_kinds = staticmethod(prolonging_kinds)


QUEUE = _Queue()
