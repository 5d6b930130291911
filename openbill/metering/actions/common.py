"""What the metering actions share: the batch limit, the meter's actor, the late-record window
and the statistics add-ons of a provider's tariffs."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings

from openbill.catalog.models import Addon, BillingType
from openbill.clients.models import Provider
from openbill.core.actors import Actor
from openbill.services.choices import Status

from .. import rating

log = logging.getLogger(__name__.rsplit(".", 1)[0])


MAX_BATCH = 5000
METER = Actor.system("meter")
LIVE = (Status.ACTIVE, Status.SUSPENDED)
ZERO = Decimal(0)
QUANTUM = Decimal("0.000000001")


def late_days() -> int:
    """Days after a reporting period ends during which late records are still accepted and the
    period is re-rated (``METERING_LATE_DAYS``, 3 by default)."""
    return int(getattr(settings, "METERING_LATE_DAYS", 3))


def window_start(today: date) -> date:
    """The oldest local date the meter still rates: the 1st of the month that was current
    ``late_days`` ago. Records older than that are refused (their period is closed)."""
    return rating.month_start(today - timedelta(days=late_days()))


def statistics_addons(provider: Provider) -> dict[int, list[Addon]]:
    addons: dict[int, list[Addon]] = defaultdict(list)
    for addon in Addon.objects.filter(
        billing_type=BillingType.STATISTICS, tariff__product_type__provider=provider
    ).order_by("tariff_id", "position", "id"):
        addons[addon.tariff_id].append(addon)
    return addons


def metric_units(addons: dict[int, list[Addon]]) -> dict[int, dict[str, str]]:
    """tariff id → measured parameter → the unit of the add-on that measures it."""
    return {
        tariff_id: {metric: addon.unit for addon in items for metric in rating.metrics_of(addon)}
        for tariff_id, items in addons.items()
    }
