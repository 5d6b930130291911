"""Lifecycle emails: which status change tells the client what.

Called by services.actions where a change is confirmed (``set_status``, ``fail_operation``), in
the same transaction; core.notify records each notice once under a key built from the History
row that caused it, and a task sends it after commit. Templates: templates/emails/<name>.*.
The sweeps send the others (renewed, low balance, expiry reminder: services.automation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openbill.core.notify import notify
from openbill.core.timeutil import local_date

from .choices import Operation, Status


def _context(service: Any, **extra: Any) -> dict[str, Any]:
    tz = service.client.provider.tz
    context: dict[str, Any] = {"service": service.name, "service_id": service.pk}
    if service.expires_at is not None:
        context["expires_on"] = local_date(service.expires_at, tz).isoformat()
    return context | extra


def template_for(old: str, new: str) -> str | None:
    if new == Status.ACTIVE:
        return "service_resumed" if old == Status.SUSPENDED else "service_activated"
    templates: dict[str, str] = {
        Status.SUSPENDED: "service_suspended",
        Status.DELETED: "service_deleted",
        Status.CONFIGURATION_REQUIRED: "service_configuration_required",
    }
    return templates.get(new)


def status_changed(service: Any, old: str, new: str, *, event_id: int, now: datetime) -> bool:
    """The module confirmed a change of status: tell the client, once per History row."""
    template = template_for(old, new)
    if template is None:
        return False
    extra: dict[str, Any] = {}
    if new == Status.SUSPENDED:
        # Codes, not words: the template words them in the client's language.
        extra["reasons"] = sorted(service.suspend_reasons)
    return notify(
        service.client, template, key=f"{template}:{service.pk}:{event_id}", now=now, context=_context(service, **extra)
    )


def operation_failed(service: Any, operation: str, *, event_id: int, now: datetime) -> bool:
    """A permanent failure of the activation (the others are staff's business)."""
    if operation != Operation.ACTIVATION:
        return False
    return notify(
        service.client,
        "service_activation_failed",
        key=f"service_activation_failed:{service.pk}:{event_id}",
        now=now,
        context=_context(service),
    )
