"""Read queries about users and their accounts."""

from __future__ import annotations

from typing import Any

from openbill.clients.models import Client


def client_of(user: Any) -> Client | None:
    """The client account a user belongs to (None for staff without one, or anonymous)."""
    if user is None or not user.is_authenticated:
        return None
    if hasattr(user, "_openbill_client"):
        cached: Client | None = user._openbill_client
        return cached
    client = Client.objects.select_related("provider").filter(memberships__user=user).first()
    user._openbill_client = client
    return client
