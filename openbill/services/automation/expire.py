"""The expire and delete stages: stop what was not renewed, delete what stayed stopped.

expire — a service past its expiry plus its product type's grace days, and not renewed, gets
the reason ``expired`` (the widget then says "Stopped DATE"); the suspension itself happens
when the module confirms (services.actions).

delete — (1) a deletion the client scheduled for the end of the paid period (``delete_at``)
starts when that moment has come; (2) a service suspended with ``expired`` as its ONLY reason
for longer than its product type's auto-deletion days is deleted (BILLmanager: services
stopped by the client, staff, abuse or overuse are never deleted automatically).

Both work in batches of service ids; each service is re-checked under its row lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from openbill.catalog.models import ProductType
from openbill.core.actors import Actor
from openbill.core.texts import Text
from openbill.core.timeutil import local_date

from .. import actions, events
from ..choices import Operation, Status, SuspendReason
from ..models import Service
from . import due
from .base import Slice, batch_size, stage
from .models import BatchState, RunState, SweepBatch, SweepRun

log = logging.getLogger("openbill.sweeps")

EXPIRE_ACTOR = Actor.system("expire sweep")
DELETE_ACTOR = Actor.system("delete sweep")


def id_slices(ids: list[int], size: int) -> list[Slice]:
    return [Slice(chunk[0], chunk[-1], len(chunk)) for chunk in (ids[i : i + size] for i in range(0, len(ids), size))]


def _scoped(provider_ids: list[int] | None) -> Q:
    return Q(client__provider_id__in=provider_ids) if provider_ids else Q()


def expire_due(at: datetime, provider_ids: list[int] | None) -> Q:
    """Past expiry + grace, not yet stopped for it, not being deleted."""
    by_grace = Q(pk__in=[])
    for grace in set(ProductType.objects.values_list("grace_days", flat=True)):
        by_grace |= Q(product_type__grace_days=grace, expires_at__lte=at - timedelta(days=grace))
    return (
        Q(status__in=[Status.ACTIVE, Status.SUSPENDED], suspended_expired=False, delete_at__isnull=True)
        & ~Q(operation=Operation.DELETION)
        & by_grace
        & _scoped(provider_ids)
    )


def scheduled_deletion_due(at: datetime, provider_ids: list[int] | None) -> Q:
    return Q(delete_at__lte=at, operation="") & ~Q(status=Status.DELETED) & _scoped(provider_ids)


def auto_deletion_due(at: datetime, provider_ids: list[int] | None) -> Q:
    """Stopped for expiry alone, for longer than the product type's auto-deletion days."""
    by_days = Q(pk__in=[])
    for ptype_id, grace, days in ProductType.objects.values_list("pk", "grace_days", "auto_delete_days"):
        by_days |= Q(
            product_type_id=ptype_id,
            suspended_at__lte=at - timedelta(days=days),
            expires_at__lte=at - timedelta(days=days + grace),
        )
    return (
        Q(
            suspended_expired=True,
            status=Status.SUSPENDED,
            operation="",
            suspended_by_client=False,
            suspended_by_admin=False,
            suspended_for_abuse=False,
            suspended_overuse=False,
        )
        & by_days
        & _scoped(provider_ids)
        # A domain ends through its zone's grace and redemption (domains.actions.follow_expiries).
        & ~Q(product_type__kind="domain")
    )


def _size() -> int:
    return batch_size(500 if connection.vendor == "postgresql" else 100)


@stage("expire")
class Expire:
    @staticmethod
    def plan(at: datetime, provider_ids: list[int] | None) -> list[Slice]:
        ids = list(Service.objects.filter(expire_due(at, provider_ids)).order_by("pk").values_list("pk", flat=True))
        return id_slices(ids, _size())

    @staticmethod
    def process(run: SweepRun, batch: SweepBatch) -> dict[str, Any]:
        provider_ids = run.provider_ids or None
        ids = Service.objects.filter(expire_due(run.at, provider_ids), pk__gte=batch.lo, pk__lte=batch.hi)
        renewing = due.renew_due(due.renew_horizons(run.at, provider_ids))
        tried = renewals_tried(run)
        stopped, pending = [], []
        for sid in ids.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                service = actions.lock(sid)
                # Still due under the lock? (a renewal may have just moved the expiry)
                if not Service.objects.filter(expire_due(run.at, provider_ids), pk=sid).exists():
                    continue
                # An auto-renewing service is stopped only once this run's renew stage has seen
                # it under its lock and could not renew it; otherwise its renewal is pending.
                if sid not in tried and Service.objects.filter(renewing, pk=sid).exists():
                    pending.append(sid)
                    continue
                tz = service.client.provider.tz
                actions.suspend(
                    service,
                    reason=SuspendReason.EXPIRED,
                    actor=EXPIRE_ACTOR,
                    now=run.at,
                    note=Text("expired_on", date=local_date(service.expires_at or run.at, tz)),
                )
                stopped.append(sid)
        if pending:
            log.warning("expire %s: %s auto-renewing services left for their renewal", run.run_key, len(pending))
        return {"stopped": len(stopped), "stopped_ids": stopped, "pending": len(pending)}


def renewals_tried(run: SweepRun) -> set[int]:
    """The services the renew stage of the same run saw and could not renew; empty unless that
    stage finished (a run without it, or with a batch not done, renews nothing for sure)."""
    renew = SweepRun.objects.filter(sweep="renew", run_key=run.run_key, state=RunState.DONE).first()
    if renew is None:
        return set()
    tried: set[int] = set()
    for result in SweepBatch.objects.filter(run=renew, state=BatchState.DONE).values_list("result", flat=True):
        tried.update(result.get("unrenewed_ids", []))
    return tried


@stage("delete")
class Delete:
    @staticmethod
    def plan(at: datetime, provider_ids: list[int] | None) -> list[Slice]:
        due = scheduled_deletion_due(at, provider_ids) | auto_deletion_due(at, provider_ids)
        ids = list(Service.objects.filter(due).order_by("pk").values_list("pk", flat=True))
        return id_slices(ids, _size())

    @staticmethod
    def process(run: SweepRun, batch: SweepBatch) -> dict[str, Any]:
        provider_ids = run.provider_ids or None
        scheduled = scheduled_deletion_due(run.at, provider_ids)
        automatic = auto_deletion_due(run.at, provider_ids)
        candidates = Service.objects.filter(scheduled | automatic, pk__gte=batch.lo, pk__lte=batch.hi)
        deleting = []
        for sid in candidates.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                service = actions.lock(sid)
                if service.operation or service.status == Status.DELETED:
                    continue
                if Service.objects.filter(scheduled, pk=sid).exists():
                    actions.reconcile(service, actor=DELETE_ACTOR, now=run.at)  # starts the deletion
                elif Service.objects.filter(automatic, pk=sid).exists():
                    tz = service.client.provider.tz
                    events.record(
                        service,
                        "automatic deletion",
                        actor=DELETE_ACTOR,
                        now=run.at,
                        note=Text("stopped_since", date=local_date(service.suspended_at or run.at, tz)),
                    )
                    actions.start_operation(service, Operation.DELETION, actor=DELETE_ACTOR, now=run.at)
                else:
                    continue
                deleting.append(sid)
        return {"deleting": len(deleting), "deleting_ids": deleting}
