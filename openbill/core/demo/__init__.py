"""Demo data: a provider catalog and demo clients with services in every client-visible status.

Loaded by ``openbill demo`` (and ``make run``). Loading twice changes nothing: the provider
"Demo Hosting" is the marker, and everything is created in one transaction.

Each app owns its part in ``openbill/<app>/demo.py``: ``build(demo)`` for what exists before
today (clients, catalog, services and their past, payments of the past), then, once the past is
posted in date order, ``extend(demo)`` for what happens now (carts, orders waiting, usage,
addresses, tickets). Both run in INSTALLED_APPS order; ``builder.Demo`` is what they share.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from openbill.clients.models import Provider
from openbill.core.extensions import app_modules

from .builder import DEMO, PASSWORD, PROVIDER_NAME, Demo

__all__ = ["DEMO", "PASSWORD", "PROVIDER_NAME", "Demo", "load"]


def load(now: datetime | None = None) -> bool:
    """Create the demo data; False when it is already there."""
    now = now or timezone.now()
    if Provider.objects.filter(name=PROVIDER_NAME).exists():
        return False
    with transaction.atomic():
        demo = Demo(now)
        parts = app_modules("demo")
        for part in parts:
            if hasattr(part, "build"):
                part.build(demo)
        demo.tell_the_past()
        for part in parts:
            if hasattr(part, "extend"):
                part.extend(demo)
        for part in parts:
            if hasattr(part, "finish"):
                part.finish(demo)
    return True
