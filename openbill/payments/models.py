"""Payments (money coming in through a payment method), the provider's notifications about
them, refunds and staff corrections. Every movement of money is also a ledger entry."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS, Money


def _money(verbose: Any, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the money")
    COMPLETED = "completed", _("Received")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")


class PaymentQuerySet(models.QuerySet["Payment"]):
    def for_client(self, client: Any) -> PaymentQuerySet:
        return self.filter(client=client)


class Payment(models.Model):
    """A top-up of the client's balance through a payment method (bank transfer, card…).

    Credited once, when the method confirms it (a signed notification, staff confirming a bank
    transfer), under the ledger key ``payment:<id>``. ``order``, when set, is paid from the
    balance as soon as the money arrives."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("payment method"), max_length=30)
    amount = _money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    refunded_amount = _money(_("refunded"), default=Decimal(0))
    request_key = models.CharField(max_length=100, blank=True, default="")
    # The gateway's own id for this payment (a Stripe PaymentIntent), once it made one.
    provider_id = models.CharField(max_length=200, blank=True, default="")
    # A card the client saved, charged without the client (automatic payment at renewal).
    saved_card = models.ForeignKey(
        "SavedCard", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # The service whose renewal an automatic payment is for.
    service = models.ForeignKey(
        "services.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="card_payments"
    )
    # Why a card payment waits or failed, as the gateway said ("requires_action", "card_declined").
    provider_status = models.CharField(max_length=60, blank=True, default="")
    entry = models.OneToOneField(
        "billing.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("received at"), null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["client", "-id"], name="payment_client_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["client", "request_key"], condition=~Q(request_key=""), name="payment_request_key"
            ),
            models.UniqueConstraint(
                fields=["method", "provider_id"], condition=~Q(provider_id=""), name="payment_provider_id"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.method} {self.amount} {self.currency}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def refundable_amount(self) -> Decimal:
        if self.status not in (PaymentStatus.COMPLETED,):
            return Decimal(0)
        return self.amount - self.refunded_amount


class PaymentEvent(models.Model):
    """A provider's notification (or a staff confirmation) about a payment, kept as received.

    Unique on (method, provider event id): the same notification delivered five times, or
    replayed a month later, is recorded — and credits — once."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    method = models.CharField(max_length=30)
    event_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["method", "event_id"], name="payment_event_unique")]

    def __str__(self) -> str:
        return f"{self.method}:{self.event_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Payment events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("In progress")
    COMPLETED = "completed", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """Money given back for a payment, through the gateway or by hand (bank transfer).

    The balance is debited first (ledger ``refund:<id>``) so that money the client has already
    spent is never sent back; if the gateway then refuses, a reversing entry restores it."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = _money(_("amount"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    provider_refund_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    entry = models.OneToOneField(
        "billing.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="refund"
    )
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund #{self.pk} of {self.payment_id}"


class Correction(models.Model):
    """A staff credit (positive) or debit (negative) of a client's balance, with its reason.

    Shown to the client as a ledger line; the ledger itself is never edited."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="corrections")
    amount = _money(_("amount"), help_text=_("Positive credits the client, negative debits."))
    reason = models.CharField(_("reason"), max_length=300)
    entry = models.OneToOneField(
        "billing.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="correction"
    )
    created_at = models.DateTimeField(_("date"))
    created_by = models.CharField(_("by"), max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="correction_not_zero")]

    def __str__(self) -> str:
        return f"{self.client} {self.amount}: {self.reason}"


class GatewayCustomer(models.Model):
    """The gateway's customer record for a client (a Stripe Customer): only its id is kept."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="gateway_customers")
    gateway = models.CharField(max_length=30)
    customer_id = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "gateway"], name="gateway_customer_client"),
            models.UniqueConstraint(fields=["gateway", "customer_id"], name="gateway_customer_id"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.customer_id}"


class SavedCard(models.Model):
    """A card the client saved at the gateway for later payments, charged without them at renewal.

    Openbill keeps the gateway's id of it (a Stripe PaymentMethod) and what the client needs to
    recognise it (brand, last four digits, expiry): never the number."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="saved_cards")
    gateway = models.CharField(max_length=30)
    provider_id = models.CharField(max_length=200)
    brand = models.CharField(_("brand"), max_length=30, blank=True)
    last4 = models.CharField(_("last digits"), max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    consented_at = models.DateTimeField(_("consent given"))
    created_at = models.DateTimeField(_("added"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        ordering = ["-is_default", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "provider_id"], name="saved_card_provider_id"),
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_default=True, removed_at__isnull=True), name="saved_card_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        if not self.exp_month or not self.exp_year:
            return ""
        return f"{self.exp_month:02d}/{self.exp_year}"


class UnknownCharge(models.Model):
    """A staff alert: a successful charge at the gateway that no Openbill payment accounts for
    (found by the daily reconciliation). Nothing is credited; staff look into it."""

    gateway = models.CharField(max_length=30)
    charge_id = models.CharField(_("charge"), max_length=200)
    intent_id = models.CharField(_("payment intent"), max_length=200, blank=True)
    amount = _money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    found_at = models.DateTimeField(_("found at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("unknown gateway charge")
        constraints = [models.UniqueConstraint(fields=["gateway", "charge_id"], name="unknown_charge_unique")]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.charge_id}"


class GatewayAccount(models.Model):
    """A provider's own account at a card gateway (Stripe, PayPal), set in the staff pages.

    ``settings`` holds what may be shown (a publishable key, a client id, a webhook id, the
    mode); ``secrets_encrypted`` the secret keys, encrypted with ``core.crypto`` (never shown
    back, only "set" and their last four characters). When a provider has no account saved for
    a gateway, the environment variables are used (``payments.gateway_accounts``)."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.PROTECT, related_name="gateway_accounts")
    gateway = models.CharField(_("gateway"), max_length=30)
    enabled = models.BooleanField(_("on"), default=True)
    live = models.BooleanField(_("live mode"), default=False)
    settings = models.JSONField(default=dict)
    secrets_encrypted = models.TextField(blank=True, editable=False)
    # What the staff page shows of each secret: its last four characters.
    secret_hints = models.JSONField(default=dict)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "gateway"], name="gateway_account_unique")]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.gateway}"


class GatewayAccountChange(models.Model):
    """Who changed a gateway account, when, and which fields (never the values): append-only."""

    account = models.ForeignKey(GatewayAccount, on_delete=models.PROTECT, related_name="changes")
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.CharField(_("by"), max_length=200)
    fields = models.JSONField(default=list)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.account} {self.changed_at:%Y-%m-%d %H:%M} {self.changed_by}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Gateway account changes are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
