"""The notices stage: low balance before an auto-renewal, reminders before an expiry.

BILLmanager's days (reference §2.4): with auto-renewal, a low-balance notice 10, 5, 4, 3, 2, 1
and 0 days before the expiry when the available balance does not cover the renewal; without
auto-renewal, a reminder 5 … 0 days before. Runs after the renew stage, so day 0 tells a client
whose renewal just failed. Each notice's key names the service, its expiry and the day, so it
is sent once however often the sweep runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q

from openbill.clients.models import Client
from openbill.core.models import Notice
from openbill.core.money import money_value
from openbill.core.notify import notify
from openbill.core.ports import Port
from openbill.core.timeutil import local_date
from openbill.invoicing.selectors import renewal_charges

from ..choices import Status
from ..models import Service
from . import due
from .base import Slice, batch_size, stage
from .expire import id_slices
from .models import SweepBatch, SweepRun

# The saved card the automatic payment will charge for a renewal: (its last four digits, the
# local date of the charge), or None (no valid default card, or its charge for this renewal
# failed). Plugged in by payments (``cards.autopay_card``): services never import payments.
autopay_card: Port[Callable[[Client, int, datetime], tuple[str, date] | None]] = Port("the renewal's saved card")


@dataclass(frozen=True)
class PlannedNotice:
    client_id: int
    service_id: int
    template: str
    key: str
    context: dict[str, Any]


def _eligible() -> Q:
    return (
        Q(status=Status.ACTIVE, delete_at__isnull=True, activated_at__isnull=False)
        & ~due.OTHER_REASONS
        & Q(suspended_expired=False)
    )


def _expiry_window(at: datetime, provider_ids: list[int] | None) -> Q:
    """Expiries on one of the next 11 local days (indexed by expiry)."""
    condition = Q(pk__in=[])
    for provider in due.providers(provider_ids):
        end_of_today = due.next_local_midnight(at, provider.tz)
        condition |= Q(
            client__provider_id=provider.pk,
            expires_at__gte=end_of_today - timedelta(days=1),
            expires_at__lt=end_of_today + timedelta(days=10),
        )
    return condition


def window(at: datetime, provider_ids: list[int] | None) -> Q:
    """Running services whose expiry falls on one of the next 11 local days."""
    return _eligible() & _expiry_window(at, provider_ids)


def plan_notices(
    at: datetime,
    service_ids: list[int] | None = None,
    provider_ids: list[int] | None = None,
    balances: dict[int, Any] | None = None,
    expiry_overrides: dict[int, datetime] | None = None,
) -> list[PlannedNotice]:
    """The notices due at ``at``. The preview passes the balances and expiries the renewals it
    foresees will leave (``balances``, ``expiry_overrides``)."""
    overrides = expiry_overrides or {}
    query = Service.objects.filter(_eligible() & (_expiry_window(at, provider_ids) | Q(pk__in=list(overrides))))
    if service_ids is not None:
        query = query.filter(pk__in=service_ids)
    rows = list(
        query.order_by("pk").values_list("pk", "client_id", "name", "expires_at", "auto_renew", "period", "tariff_id")
    )
    if not rows:
        return []
    clients = {c.pk: c for c in Client.objects.filter(pk__in={r[1] for r in rows}).select_related("provider")}
    pricer = due.Pricer()
    pricer.tariffs({r[6] for r in rows})
    lines = pricer.lines([r[0] for r in rows])
    # What each renewal will really take from the balance: its recurring discount and its tax
    # (invoicing.selectors.renewal_charges, renew_service's rule).
    priced = []
    for sid, cid, _name, stored_expiry, auto_renew, period, tariff_id in rows:
        expires_at = overrides.get(sid, stored_expiry)
        tz = clients[cid].provider.tz
        if auto_renew and expires_at is not None and due.days_left(expires_at, at, tz) in due.LOW_BALANCE_DAYS:
            raw = pricer.amount(tariff_id, period, lines.get(sid, []))
            if raw is not None:
                priced.append((sid, cid, raw))
    charges = renewal_charges(priced, now=at)
    out = []
    for sid, cid, name, stored_expiry, auto_renew, _period, _tariff in rows:
        expires_at = overrides.get(sid, stored_expiry)
        if expires_at is None:
            continue
        client = clients[cid]
        tz = client.provider.tz
        days = due.days_left(expires_at, at, tz)
        context: dict[str, Any] = {
            "service": name,
            "service_id": sid,
            "days": days,
            "expires_on": local_date(expires_at, tz).isoformat(),
        }
        if auto_renew and days in due.LOW_BALANCE_DAYS:
            if sid not in charges:
                continue
            amount = charges[sid]
            balance = balances.get(cid, client.balance_amount) if balances is not None else client.balance_amount
            available = balance + client.credit_limit
            if amount > 0 and available < amount:
                context |= {
                    "amount": money_value(amount, client.currency),
                    "available": money_value(available, client.currency),
                }
                card = autopay_card()(client, sid, expires_at)
                if card is not None:
                    # A saved card will pay: say which and when, instead of asking for a top-up.
                    context |= {"card_last4": card[0], "charge_on": card[1].isoformat()}
                    key = f"autopay_notice:{sid}:{expires_at.isoformat()}:{days}"
                    out.append(PlannedNotice(cid, sid, "service_autopay_notice", key, context))
                    continue
                key = f"low_balance:{sid}:{expires_at.isoformat()}:{days}"
                out.append(PlannedNotice(cid, sid, "service_low_balance", key, context))
        elif not auto_renew and days in due.REMINDER_DAYS:
            key = f"expiry_reminder:{sid}:{expires_at.isoformat()}:{days}"
            out.append(PlannedNotice(cid, sid, "service_expiry_reminder", key, context))
    return out


@stage("notices")
class Notices:
    @staticmethod
    def plan(at: datetime, provider_ids: list[int] | None) -> list[Slice]:
        ids = list(Service.objects.filter(window(at, provider_ids)).order_by("pk").values_list("pk", flat=True))
        return id_slices(ids, batch_size(2000 if connection.vendor == "postgresql" else 500))

    @staticmethod
    def process(run: SweepRun, batch: SweepBatch) -> dict[str, Any]:
        ids = list(
            Service.objects.filter(
                window(run.at, run.provider_ids or None), pk__gte=batch.lo, pk__lte=batch.hi
            ).values_list("pk", flat=True)
        )
        planned = plan_notices(run.at, ids, run.provider_ids or None)
        known = set(Notice.objects.filter(key__in=[p.key for p in planned]).values_list("key", flat=True))
        clients = {c.pk: c for c in Client.objects.filter(pk__in={p.client_id for p in planned})}
        sent = 0
        for notice in planned:
            if notice.key in known:
                continue
            sent += notify(
                clients[notice.client_id], notice.template, key=notice.key, now=run.at, context=notice.context
            )
        return {"notices": sent}
