"""Writes History rows. Called from actions, inside their transaction."""

from __future__ import annotations

from datetime import datetime

from openbill.core.actors import Actor
from openbill.core.texts import Text, stored

from .models import Service, ServiceEvent


def record(
    service: Service,
    kind: str,
    *,
    actor: Actor,
    now: datetime,
    from_status: str = "",
    to_status: str = "",
    note: Text | None = None,
) -> ServiceEvent:
    """One History row; ``note`` is a fact (``Text(kind, **params)``), rendered for each reader
    in their language, its moments in the provider's zone."""
    note_kind, note_params = stored(note, service.client.provider.tz if note is not None else None)
    return ServiceEvent.objects.create(
        service=service,
        at=now,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_label=str(actor),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note_kind=note_kind,
        note_params=note_params,
    )
