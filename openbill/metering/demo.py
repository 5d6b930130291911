"""Demo usage: alice's web server went past its included traffic this month, so the dashboard's
"Services with overages" widget, the Statistics tab and the Service overage section have data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from openbill.core.timeutil import local_date, start_of_local_day
from openbill.services.models import Service

from . import actions, rating

GIB_PER_DAY = ("31.5", "12.25")  # rx, tx on an ordinary day


def extend(demo: Any) -> None:
    provider = demo.provider
    now = demo.now
    tz = provider.tz
    today = local_date(now, tz)
    first = rating.month_start(today)
    records = []
    for name, email, spike in (("Web server", "alice@demo.test", "1150"), ("Web server", "bob@demo.test", "0")):
        service = Service.objects.filter(client__provider=provider, client__email=email, name=name).first()
        if service is None:
            continue
        day = first
        while day <= today:
            at = start_of_local_day(now.replace(year=day.year, month=day.month, day=day.day), tz)
            if at > now:
                at = now - timedelta(minutes=1)
            rx, tx = GIB_PER_DAY
            if day == first and spike != "0":
                rx = spike  # a backup pushed to another site on the 1st
            for resource, quantity in (("rx_bytes", rx), ("tx_bytes", tx)):
                records.append(
                    {
                        "id": f"demo:{service.pk}:{resource}:{day.isoformat()}",
                        "service": service.pk,
                        "resource": resource,
                        "at": at,
                        "quantity": quantity,
                        "unit": "GiB",
                    }
                )
            day += timedelta(days=1)
    if records:
        actions.ingest(provider, records, now=now)
        actions.meter(now=now, collect=False)
