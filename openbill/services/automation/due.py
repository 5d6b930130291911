"""What is due at a moment: the selections and decisions shared by the sweeps and the preview.

Keeping them in one place is what lets ``openbill preview`` promise that it prints what the
sweeps will do: both call these functions on the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from openbill.billing.rules import can_pay, spread
from openbill.catalog.models import Addon, AddonEnumItem, TariffPlan
from openbill.catalog.pricing import tariff_period_amount, tariff_period_parts
from openbill.clients.models import Client, Provider
from openbill.core.money import money_value, round_amount
from openbill.core.timeutil import local_date, start_of_local_day

from ..choices import Operation, Status
from ..models import ServiceAddon
from ..renewal import period_end, period_start

UTC = ZoneInfo("UTC")

# BILLmanager's notice days (reference §2.4): low balance before an auto-renewal, reminders
# before the expiry of a service without auto-renewal.
LOW_BALANCE_DAYS = (10, 5, 4, 3, 2, 1, 0)
REMINDER_DAYS = (5, 4, 3, 2, 1, 0)

# Reasons that keep a service from auto-renewing: only an active or expiry-stopped service
# renews itself from the balance (BILLmanager: "Active or auto-suspended").
OTHER_REASONS = (
    Q(suspended_by_client=True) | Q(suspended_by_admin=True) | Q(suspended_for_abuse=True) | Q(suspended_overuse=True)
)


def next_local_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    """The end of ``now``'s local day, in UTC."""
    return start_of_local_day(start_of_local_day(now, tz) + timedelta(hours=36), tz)


def providers(provider_ids: Iterable[int] | None = None) -> list[Provider]:
    query = Provider.objects.order_by("pk")
    if provider_ids:
        query = query.filter(pk__in=list(provider_ids))
    return list(query)


def renew_horizons(now: datetime, provider_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """Per provider: renew every service whose paid time ends by the end of today (local).

    So every renewal of a local day happens at the first sweep after the provider's midnight —
    a daily-priced service is charged each day at midnight — and a renewal always starts at the
    old expiry, never after it: the paid periods stay back to back.
    """
    return {p.pk: next_local_midnight(now, p.tz) for p in providers(provider_ids)}


def by_provider(
    horizons: dict[int, datetime], field: str = "expires_at__lte", clients: tuple[int, int] | None = None
) -> Q:
    """Each provider's services past its horizon. With ``clients`` (a range of client ids, a
    batch's), the services of that range only, and the provider of each client is read from
    that range alone: a join on the provider would read every client of the provider in every
    batch (the planner does not carry a range over a join)."""
    condition = Q(pk__in=[])
    for provider_id, horizon in horizons.items():
        if clients is None:
            condition |= Q(client__provider_id=provider_id, **{field: horizon})
        else:
            lo, hi = clients
            theirs = Client.objects.filter(provider_id=provider_id, pk__gte=lo, pk__lte=hi).values("pk")
            condition |= Q(client_id__in=theirs, **{field: horizon})
    if clients is not None:
        condition &= Q(client_id__gte=clients[0], client_id__lte=clients[1])
    return condition


def renew_due(horizons: dict[int, datetime], clients: tuple[int, int] | None = None) -> Q:
    """Auto-renewing, paid for, not scheduled for deletion, stopped for no other reason.
    ``clients``: only the services of clients with an id in that range (both ends included)."""
    return (
        Q(status__in=[Status.ACTIVE, Status.SUSPENDED], auto_renew=True, activated_at__isnull=False)
        & Q(delete_at__isnull=True, expires_at__isnull=False)
        & ~Q(operation=Operation.DELETION)
        & ~OTHER_REASONS
        & by_provider(horizons, clients=clients)
    )


class Pricer:
    """The renewal price of many services from a few queries: the tariffs with their prices
    and add-ons are loaded once per sweep; catalog.pricing does the sum exactly as
    services.selectors.renewal_amount does for one service."""

    def __init__(self) -> None:
        self._tariffs: dict[int, TariffPlan] = {}
        self._amounts: dict[tuple[int, str, tuple[tuple[int, Decimal, int | None], ...]], Decimal | None] = {}
        self._components: dict[tuple[Any, ...], dict[str, str]] = {}

    def tariffs(self, ids: Iterable[int]) -> None:
        missing = set(ids) - set(self._tariffs)
        if missing:
            for tariff in TariffPlan.objects.filter(pk__in=missing).prefetch_related(
                "prices", "addons__prices", "addons__items"
            ):
                self._tariffs[tariff.pk] = tariff

    preloaded_lines: dict[int, list[tuple[int, Decimal, int | None]]] | None = None

    def lines(self, service_ids: list[int]) -> dict[int, list[tuple[int, Decimal, int | None]]]:
        if self.preloaded_lines is not None:
            return self.preloaded_lines
        out: dict[int, list[tuple[int, Decimal, int | None]]] = {}
        rows = ServiceAddon.objects.filter(service_id__in=service_ids).order_by("pk")
        for sid, addon_id, quantity, item_id in rows.values_list("service_id", "addon_id", "quantity", "enum_item_id"):
            out.setdefault(sid, []).append((addon_id, quantity, item_id))
        return out

    def amount(self, tariff_id: int, period: str, lines: list[tuple[int, Decimal, int | None]]) -> Decimal | None:
        key = (tariff_id, period, tuple(lines))
        if key not in self._amounts:
            self._amounts[key] = self._amount(tariff_id, period, lines)
        return self._amounts[key]

    def _amount(self, tariff_id: int, period: str, lines: list[tuple[int, Decimal, int | None]]) -> Decimal | None:
        return tariff_period_amount(self._tariffs[tariff_id], period, self._resolve(tariff_id, lines))

    def components(
        self, tariff_id: int, period: str, lines: list[tuple[int, Decimal, int | None]], paid: Decimal, currency: str
    ) -> dict[str, str]:
        """What a renewal that paid ``paid`` paid for each part, as
        services.selectors.renewal_components computes it for one service."""
        key = (tariff_id, period, tuple(lines), paid, currency)
        if key not in self._components:
            parts = tariff_period_parts(self._tariffs[tariff_id], period, self._resolve(tariff_id, lines)) or {}
            self._components[key] = spread(parts, paid, currency)
        return dict(self._components[key])

    def _resolve(
        self, tariff_id: int, lines: list[tuple[int, Decimal, int | None]]
    ) -> list[tuple[Addon, Decimal, AddonEnumItem | None]]:
        tariff = self._tariffs[tariff_id]
        addons = {a.pk: a for a in tariff.addons.all()}
        resolved = []
        for addon_id, quantity, item_id in lines:
            addon = addons.get(addon_id)
            if addon is None:  # an add-on of another tariff (after a change): priced as renewal_amount does
                addon = Addon.objects.prefetch_related("prices", "items").get(pk=addon_id)
                addons[addon_id] = addon
            item: AddonEnumItem | None = None
            if item_id is not None:
                item = next((i for i in addon.items.all() if i.pk == item_id), None)
                if item is None:
                    item = AddonEnumItem.objects.get(pk=item_id)
            resolved.append((addon, quantity, item))
        return resolved


@dataclass
class ClientFunds:
    balance: Decimal
    credit_limit: Decimal

    def can_pay(self, amount: Decimal) -> bool:
        return can_pay(self.balance, self.credit_limit, amount)

    def pay(self, amount: Decimal) -> None:
        self.balance -= amount


@dataclass
class RenewalDecision:
    service_id: int
    client_id: int
    name: str
    start: datetime
    end: datetime
    amount: Decimal | None  # rounded; None when the tariff no longer sells the period
    ok: bool
    reason: str = ""  # "" | "funds" | "price"
    suspended_expired: bool = False
    components: dict[str, str] | None = None  # what the charge pays for each part (Expense.components)


def decide_renewals(
    rows: list[tuple[int, int, datetime, str, int, str, bool]],
    funds: dict[int, ClientFunds],
    *,
    now: datetime,
    pricer: Pricer,
    currency_of: dict[int, str],
    tz_of: dict[int, ZoneInfo],
    charges: dict[int, Decimal] | None = None,
) -> list[RenewalDecision]:
    """Decide each due renewal in order (client, expiry, id), paying from a simulated balance
    exactly as one renew_service call after another would. ``rows`` are
    (service id, client id, expires_at, period, tariff id, name, suspended_expired).
    ``charges``: what each renewal takes from the balance when that is not the catalog price
    (tax, a recurring discount: invoicing.selectors.renewal_charges)."""
    pricer.tariffs({row[4] for row in rows})
    lines = pricer.lines([row[0] for row in rows])
    decisions = []
    for sid, cid, expires_at, period, tariff_id, name, expired in rows:
        start = period_start(expires_at, now)
        end = period_end(start, period, tz_of[cid])
        raw = pricer.amount(tariff_id, period, lines.get(sid, []))
        if raw is None:
            decisions.append(RenewalDecision(sid, cid, name, start, end, None, False, "price", expired))
            continue
        amount = charges[sid] if charges is not None and sid in charges else round_amount(raw, currency_of[cid])
        wallet = funds[cid]
        if wallet.can_pay(amount):
            wallet.pay(amount)
            components = pricer.components(tariff_id, period, lines.get(sid, []), amount, currency_of[cid])
            decisions.append(RenewalDecision(sid, cid, name, start, end, amount, True, "", expired, components))
        else:
            decisions.append(RenewalDecision(sid, cid, name, start, end, amount, False, "funds", expired))
    return decisions


def days_left(expires_at: datetime, now: datetime, tz: ZoneInfo) -> int:
    return (local_date(expires_at, tz) - local_date(now, tz)).days


def renewed_context(
    name: str, service_id: int, amount: Decimal, currency: str, end: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    return {
        "service": name,
        "service_id": service_id,
        "amount": money_value(amount, currency),
        "until": local_date(end, tz).isoformat(),
    }
