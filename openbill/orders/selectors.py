"""Reads of ordering, shared by the client area and the API: the cart, pending orders, the
services of paid orders, what extending a service costs, and the tariffs a service may change to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Prefetch, Q, QuerySet

from openbill.catalog.display import addon_lines_text
from openbill.catalog.models import TariffPlan
from openbill.core.timeutil import Period, add_period
from openbill.invoicing.selectors import Breakdown, breakdown, renewal_net
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.renewal import next_period_start
from openbill.services.selectors import client_services, renewal_amount, with_pricing

from .models import LineKind, Order, OrderLine, OrderStatus
from .pricing import ChangeQuote, quote_change, tariffs_for


def cart_lines(client: Any) -> list[OrderLine]:
    """The client's cart, oldest line first, each line with ``addon_texts`` ("RAM: 2 GiB"…) in the
    reader's language."""
    lines = list(
        OrderLine.objects.for_client(client)
        .in_cart()
        .select_related("service__product_type")
        .prefetch_related("service__addons__addon", "service__addons__enum_item")
        .order_by("id")
    )
    for line in lines:
        line.addon_texts = addon_lines_text(line.service.addons.all())  # type: ignore[attr-defined]
    return lines


def lines_total(lines: list[OrderLine]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))


def pending_orders(client: Any) -> list[Order]:
    """Orders waiting for payment, newest first, with their lines."""
    return list(
        Order.objects.for_client(client)
        .filter(status=OrderStatus.PENDING)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("service").order_by("id")))
        .order_by("-id")
    )


def paid_services(client: Any) -> QuerySet[Service]:
    """The services of every order the client has paid (the Orders page's "Paid services"),
    the most recently paid first; deleted services are left out."""
    paid_line = Q(order_lines__kind=LineKind.NEW, order_lines__paid_at__isnull=False)
    return (
        client_services(client)
        .filter(paid_line)
        .exclude(status=Status.DELETED)
        .annotate(last_paid_at=Max("order_lines__paid_at", filter=paid_line))
        .order_by("-last_paid_at", "-id")
    )


@dataclass(frozen=True)
class ExtensionQuote:
    """Extending ``service`` by one ``period``: what it costs (None: no price for that period)
    and the stretch of time it pays for."""

    period: str
    amount: Decimal | None
    start: datetime
    end: datetime
    tax: Breakdown | None = None  # net, tax and total of ``amount``


def extension_quote(service: Service, period: str, *, now: datetime, tz: ZoneInfo) -> ExtensionQuote:
    start = next_period_start(service, now)
    price = renewal_amount(service, period)
    if price is None:
        return ExtensionQuote(period, None, start, add_period(start, period, tz))
    # With a recurring promo code's discount and the tax, as renew_service charges.
    tax = breakdown(service.client, [renewal_net(service, price, now=now)], now=now)
    return ExtensionQuote(period, tax.total, start, add_period(start, period, tz), tax)


def extension_quotes(service: Service, *, now: datetime, tz: ZoneInfo) -> list[ExtensionQuote]:
    """One quote per period of the service's tariff that it can be extended by (priced, not daily)."""
    quotes = (
        extension_quote(service, price.period, now=now, tz=tz)
        for price in service.tariff.prices.all()
        if price.period != Period.DAY
    )
    return [quote for quote in quotes if quote.amount is not None]


def change_tariffs(service: Service) -> list[TariffPlan]:
    """The service's tariff first, then those it may change to."""
    tariffs = tariffs_for(service.client.provider)
    current = tariffs.get(pk=service.tariff_id)
    return [current, *tariffs.filter(pk__in=current.changeable_to.values("pk"))]


def change_quote(
    service: Service, *, now: datetime, tariff: int | None = None, addons: dict[str, Any] | None = None
) -> ChangeQuote:
    """The exact amount of a change before it is confirmed (prorated)."""
    priced = with_pricing(Service.objects.filter(pk=service.pk)).get()
    return quote_change(priced, now=now, tariff=tariff, addons=addons)


def extension_start(service: Service, now: datetime) -> datetime:
    """Where an extension paid now starts: the expiry, or now for a lapsed service."""
    return next_period_start(service, now)


def invoice_lines(order_id: int | None) -> list[dict[str, Any]]:
    """What the invoice of a payment for exactly this order copies: each line's service (id,
    name) and its tax as fixed when ordered (``details["tax"]``, None when not kept)."""
    if order_id is None:
        return []
    lines = OrderLine.objects.filter(order_id=order_id).select_related("service").order_by("id")
    return [
        {"service_id": line.service_id, "service_name": line.service.name, "tax": line.details.get("tax")}
        for line in lines
    ]
