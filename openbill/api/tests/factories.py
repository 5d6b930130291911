"""Rows the API tests place directly (fixtures only; real changes go through actions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from openbill.metering.models import OverageRating


def rate_overage(service: Any, addon: Any, cost: str, now: datetime) -> None:
    """An overage of ``cost`` rated for the service's add-on in ``now``'s calendar month."""
    month = now.date().replace(day=1)
    OverageRating.objects.create(
        service=service,
        addon=addon,
        period_start=month,
        period_end=(month + timedelta(days=32)).replace(day=1),
        cost_amount=Decimal(cost),
        rated_at=now,
    )
