"""Writes History rows. Called from actions, inside their transaction."""

from __future__ import annotations

from datetime import datetime

from openbill.core.actors import Actor

from .models import Service, ServiceEvent


def record(
    service: Service,
    kind: str,
    *,
    actor: Actor,
    now: datetime,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> ServiceEvent:
    return ServiceEvent.objects.create(
        service=service,
        at=now,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_label=str(actor),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
