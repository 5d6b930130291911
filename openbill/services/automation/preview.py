"""What the lifecycle sweeps would do at a moment, computed without writing anything.

It walks the same stages in the same order as the sweeps (renew → expire → delete → notices) with
the same selections and decisions (``due``, ``expire``, ``notices``), carrying the effects of one
stage into the next in memory: balances after the renewals, services renewed or stopped. Tests
compare it with what the sweeps then do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from openbill.billing.models import Expense, ExpenseKind
from openbill.billing.rules import period_key
from openbill.clients.models import Client
from openbill.invoicing.selectors import renewal_charges

from ..models import Service
from ..renewal import period_start
from . import due
from .expire import auto_deletion_due, expire_due, scheduled_deletion_due
from .notices import PlannedNotice, plan_notices
from .renew import ROW_FIELDS


@dataclass
class ClientPreview:
    client_id: int
    name: str
    email: str
    currency: str
    balance: Decimal
    credit_limit: Decimal
    tz: Any
    renewals: list[due.RenewalDecision] = field(default_factory=list)
    failed: list[due.RenewalDecision] = field(default_factory=list)
    stops: list[tuple[int, str, datetime | None]] = field(default_factory=list)
    deletions: list[tuple[int, str, str]] = field(default_factory=list)
    notices: list[PlannedNotice] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.renewals or self.failed or self.stops or self.deletions or self.notices)


@dataclass
class Preview:
    at: datetime
    clients: dict[int, ClientPreview]

    def summary(self) -> dict[str, Any]:
        """Ids and amounts: what the sweeps' results are compared with."""
        parts = list(self.clients.values())
        return {
            "renewed": sorted((d.service_id, d.amount) for c in parts for d in c.renewals),
            "failed": sorted(d.service_id for c in parts for d in c.failed if d.reason == "funds"),
            "stopped": sorted(sid for c in parts for sid, _n, _e in c.stops),
            "deleting": sorted(sid for c in parts for sid, _n, _w in c.deletions),
            "notices": sorted(n.key for c in parts for n in c.notices),
        }

    def as_json(self) -> dict[str, Any]:
        out = []
        for c in self.clients.values():
            if c.empty:
                continue
            out.append(
                {
                    "client": c.client_id,
                    "name": c.name,
                    "balance": str(c.balance),
                    "currency": c.currency,
                    "renewals": [
                        {
                            "service": d.service_id,
                            "amount": str(d.amount),
                            "from": d.start.isoformat(),
                            "until": d.end.isoformat(),
                        }
                        for d in c.renewals
                    ],
                    "failed": [
                        {
                            "service": d.service_id,
                            "amount": str(d.amount) if d.amount is not None else None,
                            "reason": d.reason,
                        }
                        for d in c.failed
                    ],
                    "suspensions": [
                        {"service": sid, "expired": e.isoformat() if e else None} for sid, _n, e in c.stops
                    ],
                    "deletions": [{"service": sid, "why": why} for sid, _n, why in c.deletions],
                    "notices": [{"service": n.service_id, "template": n.template, "key": n.key} for n in c.notices],
                }
            )
        return {"at": self.at.isoformat(), "clients": out, "summary": {k: len(v) for k, v in self.summary().items()}}


def build_preview(at: datetime, provider_ids: list[int] | None = None) -> Preview:
    clients: dict[int, ClientPreview] = {}

    def client(cid: int) -> ClientPreview:
        if cid not in clients:
            c = Client.objects.select_related("provider").get(pk=cid)
            clients[cid] = ClientPreview(
                cid, c.name, c.email, c.currency, c.balance_amount, c.credit_limit, c.provider.tz
            )
        return clients[cid]

    # 1. renew: the due rows in the sweep's order, paid from a simulated balance.
    horizons = due.renew_horizons(at, provider_ids)
    rows = list(
        Service.objects.filter(due.renew_due(horizons))
        .order_by("client_id", "expires_at", "pk")
        .values_list(*ROW_FIELDS)
    )
    client_rows = Client.objects.filter(pk__in={r[1] for r in rows}).select_related("provider")
    funds = {c.pk: due.ClientFunds(c.balance_amount, c.credit_limit) for c in client_rows}
    currency_of = {c.pk: c.currency for c in client_rows}
    tz_of = {c.pk: c.provider.tz for c in client_rows}
    done = set(
        Expense.objects.filter(service_id__in=[r[0] for r in rows], kind=ExpenseKind.PERIOD).values_list(
            "service_id", "key"
        )
    )
    todo = [r for r in rows if (r[0], period_key(period_start(r[2], at))) not in done]
    pricer = due.Pricer()
    pricer.tariffs({r[4] for r in todo})
    lines = pricer.lines([r[0] for r in todo])
    priced = [(r[0], r[1], pricer.amount(r[4], r[3], lines.get(r[0], []))) for r in todo]
    # What renew_service will charge: the recurring discount and the tax (invoicing).
    charges = renewal_charges([(sid, cid, raw) for sid, cid, raw in priced if raw is not None], now=at)
    decisions = due.decide_renewals(
        todo, funds, now=at, pricer=pricer, currency_of=currency_of, tz_of=tz_of, charges=charges
    )
    renewed: dict[int, due.RenewalDecision] = {}
    for d in decisions:
        if d.ok:
            client(d.client_id).renewals.append(d)
            renewed[d.service_id] = d
            assert d.amount is not None
            client(d.client_id).notices.append(
                PlannedNotice(
                    d.client_id,
                    d.service_id,
                    "service_renewed",
                    f"renewed:{d.service_id}:{d.start.isoformat()}",
                    due.renewed_context(
                        d.name, d.service_id, d.amount, currency_of[d.client_id], d.end, tz_of[d.client_id]
                    ),
                )
            )
        else:
            client(d.client_id).failed.append(d)

    # 2. expire: due, unless this run renews it.
    stopped: set[int] = set()
    for sid, cid, name, expires_at in (
        Service.objects.filter(expire_due(at, provider_ids))
        .order_by("pk")
        .values_list("pk", "client_id", "name", "expires_at")
    ):
        if sid in renewed:
            continue
        client(cid).stops.append((sid, name, expires_at))
        stopped.add(sid)

    # 3. delete: scheduled deletions and services stopped for expiry alone long enough.
    scheduled = set(Service.objects.filter(scheduled_deletion_due(at, provider_ids)).values_list("pk", flat=True))
    for sid, cid, name in (
        Service.objects.filter(scheduled_deletion_due(at, provider_ids) | auto_deletion_due(at, provider_ids))
        .order_by("pk")
        .values_list("pk", "client_id", "name")
    ):
        if sid in renewed and sid not in scheduled:
            continue  # renewing it lifts the expired reason first
        client(cid).deletions.append((sid, name, "scheduled" if sid in scheduled else "expired"))

    # 4. notices, with the balances and expiries the renewals leave.
    balances = {cid: wallet.balance for cid, wallet in funds.items()}
    for notice in plan_notices(
        at,
        None,
        provider_ids,
        balances=balances,
        expiry_overrides={sid: d.end for sid, d in renewed.items()},
    ):
        if notice.service_id not in stopped:
            client(notice.client_id).notices.append(notice)
    for preview in clients.values():
        preview.notices.sort(key=lambda n: (n.service_id, n.key))
    return Preview(at, dict(sorted(clients.items())))
