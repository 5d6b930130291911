"""The meter sweep: collect, rate and settle every provider's services."""

from __future__ import annotations

from datetime import datetime

from openbill.clients.models import Provider
from openbill.core.timeutil import local_date
from openbill.services.models import Service

from ..models import OverageRating
from .collect import collect_from_modules
from .common import log
from .rate import rate_provider
from .settle import OverageFuseTripped, open_meter_alert, settle_service, trip_meter


def meter(*, now: datetime, collect: bool = True) -> dict[str, int]:
    """Collect, rate and settle every provider's services (the meter sweep)."""
    totals = {
        "collected": 0,
        "ratings": 0,
        "written": 0,
        "settled": 0,
        "suspended": 0,
        "lifted": 0,
        "tripped": 0,
        "blocked": 0,
    }
    if collect:
        totals["collected"] = collect_from_modules(now=now)["records"]
    if open_meter_alert():
        # Stopped by the fuse until staff resolve the alert: usage is still collected, nothing
        # is rated into charges or charged.
        log.error("meter sweep is stopped by the fuse; resolve its alert in admin")
        totals["blocked"] = 1
        return totals
    for provider in Provider.objects.all():
        run = rate_provider(provider, now=now)
        totals["ratings"] += run.ratings
        totals["written"] += run.written
        today = local_date(now, provider.tz)
        candidates = set(run.services)
        candidates.update(
            OverageRating.objects.filter(due=True, service__client__provider=provider).values_list(
                "service_id", flat=True
            )
        )
        candidates.update(
            Service.objects.filter(client__provider=provider, suspended_overuse=True).values_list("pk", flat=True)
        )
        candidates.update(
            OverageRating.objects.filter(
                service__client__provider=provider, over_maximum=True, period_start__lte=today, period_end__gt=today
            )
            .exclude(service__suspended_overuse=True)
            .values_list("service_id", flat=True)
        )
        for service_id in sorted(candidates):
            try:
                done = settle_service(service_id, now=now)
            except OverageFuseTripped as exc:
                trip_meter(exc)
                totals["tripped"] = 1
                return totals
            except Exception:  # one service's failure must not stop the others
                log.exception("settling overage of service %s failed", service_id)
                continue
            totals["settled"] += 1
            totals["suspended"] += int(done.suspended)
            totals["lifted"] += int(done.lifted)
    return totals
