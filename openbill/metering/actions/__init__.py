"""Metering actions: ingest usage, collect it from modules, rate it, charge and suspend.

The meter sweep (sweeps.py) runs ``meter``: collect from modules, rate every live service's
current reporting periods set-based (``rate_provider``), then settle each service that needs it
(``settle_service``: charge the increase since the last charge, suspend or lift overuse) in its
own short transaction.

One module a step: ``ingest``, ``collect``, ``rate``, ``settle`` and the ``sweep`` that runs
them; what they share is in ``common``. The names callers use are re-exported here.
"""

from .collect import collect_from_modules
from .common import LIVE, MAX_BATCH, METER, late_days, metric_units, statistics_addons, window_start
from .ingest import IngestResult, closing_dates, ingest, insert_records
from .rate import RatingRun, rate_provider, upsert_ratings
from .settle import (
    METER_FUSE_FACTOR,
    OverageFuseTripped,
    Settled,
    check_fuse,
    open_meter_alert,
    overage_key,
    settle_client,
    settle_service,
    trip_meter,
    usual_charge,
)
from .sweep import meter

__all__ = [
    "LIVE",
    "MAX_BATCH",
    "METER",
    "METER_FUSE_FACTOR",
    "IngestResult",
    "OverageFuseTripped",
    "RatingRun",
    "Settled",
    "check_fuse",
    "closing_dates",
    "collect_from_modules",
    "ingest",
    "insert_records",
    "late_days",
    "meter",
    "metric_units",
    "open_meter_alert",
    "overage_key",
    "rate_provider",
    "settle_client",
    "settle_service",
    "statistics_addons",
    "trip_meter",
    "upsert_ratings",
    "usual_charge",
    "window_start",
]
