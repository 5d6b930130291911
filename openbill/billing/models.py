"""The ledger (every movement of a client's money) and expenses (charges with their period)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS, Money
from openbill.core.texts import text_property


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    CHARGE = "charge", _("Charge")
    REFUND = "refund", _("Refund")
    CORRECTION = "correction", _("Correction")


class LedgerEntry(models.Model):
    """One movement of a client's money: positive credits, negative debits. Append-only.

    ``key`` is the idempotency key: the same business event can never be entered twice.
    """

    # Indexed by ledger_client_recent, which leads with the client.
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="ledger", db_index=False)
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    currency = models.CharField(_("currency"), max_length=3)
    balance_after = models.DecimalField(_("balance after"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    key = models.CharField(max_length=200)  # unique: ledger_key_unique
    # What the line is, as a fact (openbill.core.texts): rendered in the reader's language.
    description_kind = models.CharField(_("description"), max_length=40)
    description_params = models.JSONField(default=dict, blank=True)
    service = models.ForeignKey(
        "services.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    created_at = models.DateTimeField(_("date"))
    created_by = models.CharField(_("by"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["client", "-created_at", "-id"], name="ledger_client_recent")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            # A constraint rather than unique=True: the key is looked up whole, never by prefix,
            # so it needs no second (pattern) index to keep up on every entry.
            models.UniqueConstraint(fields=["key"], name="ledger_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.kind} {self.amount} {self.currency}"

    description = text_property("description")

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("The ledger is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ExpenseKind(models.TextChoices):
    SETUP = "setup", _("Setup fee")
    PERIOD = "period", _("Service period")
    DAILY = "daily", _("Daily charge")
    CHANGE = "change", _("Change of service")
    OVERAGE = "overage", _("Overage")
    REFUND = "refund", _("Refund of unused period")


class Expense(models.Model):
    """A charge (or credit) for a service, under its unique business key (DESIGN.md §4).

    A period charge is keyed by its period start, a change by the order line that asked for it,
    an overage increment by (add-on, reporting period, rated-through cursor).
    """

    # Indexed by expense_business_key and expense_client_recent, which lead with them.
    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="expenses", db_index=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="expenses", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=ExpenseKind.choices)
    key = models.CharField(max_length=160)
    amount = models.DecimalField(_("amount"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    currency = models.CharField(_("currency"), max_length=3)
    period_start = models.DateTimeField(_("from"), null=True, blank=True)
    period_end = models.DateTimeField(_("until"), null=True, blank=True)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="expense")
    created_at = models.DateTimeField(_("date"))
    # What the charge paid for each part of the service, before tax (billing.rules.spread): the
    # base tariff (``tariff``) and each add-on (``addon:<id>``) → a decimal string; the parts
    # add up to the charge's amount before tax. Written with the charge, never changed: a change
    # of the service credits a part at most what is still paid for it (orders.pricing).
    components = models.JSONField(_("paid per part"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "kind", "key"], name="expense_business_key")]
        indexes = [models.Index(fields=["client", "-created_at"], name="expense_client_recent")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.kind} {self.key} {self.amount}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Charges are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
