"""Orders: the cart, orders and their lines (a new service, a renewal, a change).

A cart line is an OrderLine without an order whose service waits in status Ordered (the seed:
"a service is in the Cart waiting for payment"). Checking out groups the cart's lines into one
Order; paying the order charges each line under its business keys (``orders.actions``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS, Money
from openbill.core.texts import text_property
from openbill.core.timeutil import Period


def _money(verbose: Any, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class OrderQuerySet(models.QuerySet["Order"]):
    def for_client(self, client: Any) -> OrderQuerySet:
        return self.filter(client=client)


class Order(models.Model):
    """What the client decided to buy in one go: one line ("Pay now") or a checked-out cart."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    total_amount = _money(_("total"))
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(_("ordered at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["client", "status", "-id"], name="order_client_status")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)


class LineKind(models.TextChoices):
    NEW = "new", _("New service")
    RENEWAL = "renewal", _("Renewal")
    CHANGE = "change", _("Change of service")


class LineQuerySet(models.QuerySet["OrderLine"]):
    def for_client(self, client: Any) -> LineQuerySet:
        return self.filter(client=client)

    def in_cart(self) -> LineQuerySet:
        return self.filter(order__isnull=True, kind=LineKind.NEW, paid_at__isnull=True)


class OrderLine(models.Model):
    """One thing ordered. For a new service: its first period, add-ons and setup fee as priced
    when ordered (the amount charged is recomputed from the catalog when paid, never taken from
    the client). For a change: the quoted difference, charged under the key ``line:<id>``."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="order_lines")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="order_lines")
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices, default=LineKind.NEW)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    period_amount = _money(_("period price with add-ons"), default=Decimal(0))
    setup_amount = _money(_("setup fee"), default=Decimal(0))
    amount = _money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    # What the line is, as a fact (openbill.core.texts): rendered in the reader's language.
    description_kind = models.CharField(_("description"), max_length=40)
    description_params = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # A client-generated token (a form's hidden field, an API key) so that a double submit
    # creates one line; unique per client.
    request_key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("ordered at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    objects = LineQuerySet.as_manager()

    description = text_property("description")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["client", "order", "-id"], name="order_line_client"),
            models.Index(fields=["service", "kind"], name="order_line_service"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "request_key"], condition=~Q(request_key=""), name="order_line_request_key"
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)
