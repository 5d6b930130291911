"""Helpers for the automation's tests: services due at a moment, module confirmations, a
fingerprint of everything money and history touch."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from openbill.billing.models import Expense, LedgerEntry
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.models import Notice
from openbill.provisioning import staff
from openbill.provisioning.models import OPEN_STATES, ProvisioningTask
from openbill.services.models import Service, ServiceEvent

MODULE = Actor.system("module")


def confirm_operations(now: datetime, service_ids: list[int] | None = None) -> int:
    """The modules confirm every open operation (what a worker running them would do)."""
    done = 0
    tasks = ProvisioningTask.objects.filter(state__in=OPEN_STATES).order_by("pk")
    if service_ids is not None:
        tasks = tasks.filter(service_id__in=service_ids)
    for task in tasks:
        staff.staff_complete(task, actor=MODULE, now=now)
        done += 1
    return done


def fingerprint(client_ids: list[int]) -> dict[str, Any]:
    """Balances, expiries, ledger, charges, history and notices, without the row ids."""
    sorted = _sorted
    services = Service.objects.filter(client_id__in=client_ids)
    return {
        "balances": sorted(Client.objects.filter(pk__in=client_ids).values_list("pk", "balance_amount")),
        "services": sorted(
            services.values_list(
                "pk", "status", "expires_at", "operation", "suspended_expired", "suspended_by_client", "period"
            )
        ),
        "ledger": sorted(
            (c, s, k, a, b, key, d, json.dumps(p, sort_keys=True), at, by)
            for c, s, k, a, b, key, d, p, at, by in LedgerEntry.objects.filter(client_id__in=client_ids)
            .order_by("client_id", "pk")
            .values_list(
                "client_id",
                "service_id",
                "kind",
                "amount",
                "balance_after",
                "key",
                "description_kind",
                "description_params",
                "created_at",
                "created_by",
            )
        ),
        "ledger_order": [
            list(LedgerEntry.objects.filter(client_id=c).order_by("pk").values_list("key", flat=True))
            for c in sorted(client_ids)
        ],
        "expenses": sorted(
            (s, k, key, a, cur, ps, pe, e is not None, at, json.dumps(parts, sort_keys=True))
            for s, k, key, a, cur, ps, pe, e, at, parts in Expense.objects.filter(client_id__in=client_ids).values_list(
                "service_id",
                "kind",
                "key",
                "amount",
                "currency",
                "period_start",
                "period_end",
                "entry_id",
                "created_at",
                "components",
            )
        ),
        "history": [
            list(
                ServiceEvent.objects.filter(service=s)
                .order_by("pk")
                .values_list(
                    "at", "actor_kind", "actor_label", "kind", "from_status", "to_status", "note_kind", "note_params"
                )
            )
            for s in services.order_by("pk")
        ],
        "notices": sorted(
            Notice.objects.filter(client_id__in=client_ids).values_list(
                "key", "client_id", "template", "context", "created_at"
            )
        ),
        "tasks": sorted(
            ProvisioningTask.objects.filter(service__client_id__in=client_ids).values_list(
                "service_id", "operation", "state"
            )
        ),
    }


def _sorted(rows: Any) -> list[Any]:
    return sorted(rows, key=repr)


def period_charges(service: Service) -> list[tuple[datetime | None, datetime | None, Decimal]]:
    return list(
        Expense.objects.filter(service=service, kind="period")
        .order_by("period_start")
        .values_list("period_start", "period_end", "amount")
    )
