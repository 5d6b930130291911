"""Metering test helpers: a VPS tariff with traffic billed by statistics, usage records."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from openbill.catalog.models import Addon, BillingType, TariffPlan
from openbill.clients.models import Provider
from openbill.core.tests import factories as f
from openbill.metering import actions
from openbill.metering.models import ProviderToken


def traffic(plan: TariffPlan, **kwargs: Any) -> Addon:
    """Traffic in GiB: rx + tx summed per calendar month, 1000 GiB included, 0.01 per GiB over."""
    options: dict[str, Any] = {
        "name": "Traffic",
        "unit": "GiB",
        "billing_type": BillingType.STATISTICS,
        "included": Decimal(1000),
        "overage_price": Decimal("0.01"),
        "metrics": ["rx_bytes", "tx_bytes"],
    }
    options.update(kwargs)
    return f.addon(plan, kwargs.pop("resource", "traffic"), **{k: v for k, v in options.items() if k != "resource"})


def record(
    service: Any, resource: str, at: datetime, quantity: str, unit: str = "GiB", rid: str | None = None
) -> dict[str, Any]:
    return {
        "id": rid or f"r:{service.pk}:{resource}:{at.isoformat()}",
        "service": service.pk,
        "resource": resource,
        "at": at.isoformat(),
        "quantity": quantity,
        "unit": unit,
    }


def ingest(provider: Provider, records: list[dict[str, Any]], now: datetime) -> actions.IngestResult:
    return actions.ingest(provider, records, now=now)


def provider_token(provider: Provider) -> str:
    return ProviderToken.issue(provider, "meter")[1]
