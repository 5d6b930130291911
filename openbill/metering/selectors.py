"""Read queries about usage and overage (filled by the metering feature)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def overage_widget_rows(client: Any, now: datetime) -> list[dict[str, Any]]:
    """Rows of the dashboard's "Services with overages" widget: one per service with overage in
    its current reporting period — ``service`` (a Service), ``cost`` (Decimal), ``currency``,
    ``url`` (its Service overage section). Empty until usage exists."""
    return []
