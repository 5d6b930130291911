"""Settling: charge what a service's ratings cost above what was charged, suspend for overuse or
unpaid overage and lift it; the meter's fuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind
from openbill.catalog.models import OverageWithoutFunds
from openbill.catalog.texts import name_fact, quantity_fact
from openbill.core.actors import Actor
from openbill.core.errors import InsufficientFunds
from openbill.core.money import money_value, round_amount
from openbill.core.notify import notify
from openbill.core.texts import Text, in_context
from openbill.core.timeutil import local_date
from openbill.invoicing.selectors import charge_amount
from openbill.services import actions as service_actions
from openbill.services.automation.engine import open_alert
from openbill.services.automation.models import SweepAlert
from openbill.services.choices import SuspendReason
from openbill.services.models import Service
from openbill.services.selectors import renewal_amount, with_pricing

from .. import rating
from ..models import OverageRating
from .common import LIVE, METER, ZERO, log


def overage_key(rated: OverageRating) -> str:
    """The business key of an overage increment: (add-on, reporting period, rated-through
    overage). The same rating charged twice finds its key taken; more usage makes a new key."""
    return f"{rated.addon_id}:{rated.period_start.isoformat()}:{rating.normalized(rated.overage)}"


@dataclass
class Settled:
    charged: Decimal = ZERO
    suspended: bool = False
    lifted: bool = False


def settle_service(service_id: int, *, now: datetime, actor: Actor = METER) -> Settled:
    """Charge what the service's ratings cost above what was charged; suspend for overuse over a
    maximum or for an overage that cannot be paid (as the tariff says); lift overuse once the
    current periods are within their maximums and nothing is left unpaid. One transaction; the
    service row is locked first (as renewal does), then the ratings, then the client."""
    outcome = Settled()
    with transaction.atomic():
        service = service_actions.lock(service_id)
        if service.status not in LIVE:
            return outcome
        provider = service.client.provider
        today = local_date(now, provider.tz)
        ratings = list(
            OverageRating.objects.select_for_update()
            .filter(service=service)
            .filter(Q(due=True) | Q(over_maximum=True, period_start__lte=today, period_end__gt=today))
            .select_related("addon")
            .order_by("period_start", "addon_id")
        )
        must_suspend: list[tuple[str, OverageRating]] = []
        for rated in ratings:
            if rated.over_maximum and rated.period_start <= today < rated.period_end:
                must_suspend.append(("limit", rated))
            if not rated.due:
                continue
            increment = rated.cost_amount - rated.charged_amount
            if increment <= 0:
                rated.due = False
                rated.save(update_fields=["due"])
                continue
            check_fuse(service, rated, increment)  # raises: this transaction charges nothing
            charged = _charge_increment(service, rated, increment, now=now, actor=actor)
            if charged is None:
                rated.unpaid = True
                rated.save(update_fields=["unpaid"])
                must_suspend.append(("unpaid", rated))
                continue
            outcome.charged += charged
        for why, rated in must_suspend:
            _notify(service, rated, why, now=now)
        if must_suspend and not service.suspended_overuse:
            service_actions.suspend(
                service, reason=SuspendReason.OVERUSE, actor=actor, now=now, note=Text(f"overage_{must_suspend[0][0]}")
            )
            outcome.suspended = True
        elif not must_suspend and service.suspended_overuse and not _still_blocked(service, today):
            service_actions.resume(service, reason=SuspendReason.OVERUSE, actor=actor, now=now)
            outcome.lifted = True
    return outcome


# The meter's fuse: one overage charge above this many times the service's usual amount (its
# largest earlier overage charge, or its price for one period if larger) is not made; the sweep
# stops and staff get a sweep alert (a meter reporting bytes as GiB, a counter gone wild).
METER_FUSE_FACTOR = 100


class OverageFuseTripped(Exception):
    def __init__(self, details: dict[str, Any]) -> None:
        super().__init__("an overage charge far above the service's usual")
        self.details = details


def usual_charge(service: Service, rated: OverageRating) -> Decimal:
    """The amount this service is usually charged: its largest overage charge before this
    reporting period of this add-on, or one period of its tariff if that is more."""
    earlier = (
        Expense.objects.filter(service=service, kind=ExpenseKind.OVERAGE)
        .exclude(key__startswith=f"{rated.addon_id}:{rated.period_start.isoformat()}:")
        .aggregate(largest=Max("amount"))["largest"]
        or ZERO
    )
    priced = with_pricing(Service.objects.filter(pk=service.pk)).get()
    return max(earlier, renewal_amount(priced) or ZERO)


def check_fuse(service: Service, rated: OverageRating, increment: Decimal) -> None:
    usual = usual_charge(service, rated)
    if usual > 0 and increment > usual * METER_FUSE_FACTOR:
        raise OverageFuseTripped(
            {
                "service": service.pk,
                "addon": rated.addon_id,
                "period": rated.period_start.isoformat(),
                "amount": f"{round_amount(increment, service.client.currency):f}",
                "usual": f"{round_amount(usual, service.client.currency):f}",
                "factor": METER_FUSE_FACTOR,
            }
        )


def _still_blocked(service: Service, today: date) -> bool:
    return (
        OverageRating.objects.filter(service=service)
        .filter(Q(due=True, unpaid=True) | Q(over_maximum=True, period_start__lte=today, period_end__gt=today))
        .exists()
    )


def _charge_increment(
    service: Service, rated: OverageRating, increment: Decimal, *, now: datetime, actor: Actor
) -> Decimal | None:
    """Charge one increment (net, from the rating) with its tax; returns the amount charged, or
    None when funds are short and the tariff says to suspend. ``charged_amount`` stays net, as
    ``cost_amount``: each increment is one taxed line, rounded once (invoicing)."""
    key = overage_key(rated)
    gross = charge_amount(service.client, increment, now=now)
    daily = rated.period_end - rated.period_start == timedelta(days=1)
    # The add-on's name as a fact (every language's), so the line reads in the reader's language.
    description = Text(
        "overage_day" if daily else "overage_month", addon=[name_fact(rated.addon)], period=rated.period_start
    )
    common: dict[str, Any] = {
        "kind": ExpenseKind.OVERAGE,
        "key": key,
        "amount": gross,
        "description": description,
        "now": now,
        "actor": actor,
    }
    charge_anyway = service.tariff.overage_without_funds == OverageWithoutFunds.CHARGE
    # The client row read with the locked service is a fresh hint; post_entry re-checks the
    # funds under the client's lock whenever the hint says they suffice.
    short = service.client.available_amount < gross
    if short and not charge_anyway:
        return None
    try:
        with transaction.atomic():
            expense, created = charge_service(service, **common, allow_overdraft=short)
    except InsufficientFunds:
        if not charge_anyway:
            return None
        short = True
        expense, created = charge_service(service, **common, allow_overdraft=True)
    if short:
        # "Charge anyway": the tariff's rule let this charge take the balance past the limit.
        _notify(service, rated, "overdraft", now=now)
    # The charge under this key (made now, or earlier for the same rated-through overage)
    # brings what is charged up to the cost rated through it.
    rated.charged_amount = rated.cost_amount
    rated.charged_through = rated.overage
    rated.due = False
    rated.unpaid = False
    rated.save(update_fields=["charged_amount", "charged_through", "due", "unpaid"])
    return expense.amount if created else ZERO


def _period_text(rated: OverageRating) -> dict[str, Any]:
    """The reporting period as the recipient reads it: a day ("2026-12-16" / "16/12/2026") or
    a month ("December 2026" / "diciembre de 2026")."""
    if rated.period_end - rated.period_start == timedelta(days=1):
        return in_context(Text("date", date=rated.period_start))
    return in_context(Text("month", month=rated.period_start))


def _notify(service: Service, rated: OverageRating, why: str, *, now: datetime) -> None:
    addon = rated.addon
    notify(
        service.client,
        f"overage_{why}",
        key=f"overage:{why}:{service.pk}:{rated.addon_id}:{rated.period_start.isoformat()}",
        now=now,
        # Facts, worded in the recipient's language when the mail is written (core.notify).
        context={
            "service_id": service.pk,
            "service_name": service.name,
            "addon_name": in_context(name_fact(addon)),
            "period": _period_text(rated),
            "used": in_context(quantity_fact(rated.usage, addon)),
            "included": in_context(quantity_fact(addon.included, addon)),
            "maximum": in_context(quantity_fact(addon.maximum, addon)) if addon.maximum is not None else "",
            "cost": money_value(rated.cost_amount, service.client.currency),
        },
    )


def settle_client(client_id: int, *, now: datetime) -> int:
    """Retry the unpaid overage of a client's services now (e.g. right after a payment), instead
    of waiting for the next meter run; returns how many services were settled."""
    service_ids = sorted(
        set(OverageRating.objects.filter(service__client_id=client_id, due=True).values_list("service_id", flat=True))
        | set(Service.objects.filter(client_id=client_id, suspended_overuse=True).values_list("pk", flat=True))
    )
    if open_meter_alert():
        return 0
    for service_id in service_ids:
        try:
            settle_service(service_id, now=now)
        except OverageFuseTripped as exc:
            trip_meter(exc)
            return 0
    return len(service_ids)


def open_meter_alert() -> bool:
    return open_alert("meter") is not None


def trip_meter(exc: OverageFuseTripped) -> None:
    """Stop the meter's charges and tell staff: a log line and an open sweep alert (resolved in
    admin, as the renew sweep's)."""
    SweepAlert.objects.create(sweep="meter", reason=str(exc), details=exc.details, created_at=timezone.now())
    log.error("FUSE: meter sweep stopped: %s %s", exc, exc.details)
