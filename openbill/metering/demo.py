"""Demo usage: alice's web server went past its included traffic this month (1,500 GiB of 1,000),
so the dashboard's "Services with overages" widget, the Statistics tab and the Service overage
section have data."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from openbill.core.timeutil import local_date
from openbill.services.models import Service

from . import actions, rating

MONTH_TO_DATE_GIB = Decimal(1500)  # past the 1000 GiB included in the VPS tariffs' traffic


def extend(demo: Any) -> None:
    provider = demo.provider
    now = demo.now
    tz = provider.tz
    today = local_date(now, tz)
    first = rating.month_start(today)
    days = (today - first).days + 1
    per_day = (MONTH_TO_DATE_GIB / days).quantize(Decimal("0.01"))
    records = []
    service = Service.objects.filter(
        client__provider=provider, client__email="alice@demo.test", name="Web server"
    ).first()
    day = first
    while service is not None and day <= today:
        at = min(datetime.combine(day, time(), tzinfo=tz), now)
        # received and sent, 70/30: the month passes what is included about two thirds of the way
        for resource, share in (("rx_bytes", Decimal("0.7")), ("tx_bytes", Decimal("0.3"))):
            records.append(
                {
                    "id": f"demo:{service.pk}:{resource}:{day.isoformat()}",
                    "service": service.pk,
                    "resource": resource,
                    "at": at,
                    "quantity": str(per_day * share),
                    "unit": "GiB",
                }
            )
        day += timedelta(days=1)
    if records:
        actions.ingest(provider, records, now=now)
        actions.meter(now=now, collect=False)
