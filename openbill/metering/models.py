"""Usage records, provider API tokens, collection cursors and overage ratings (DESIGN.md §4-5)."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS

# Quantities: bytes of a month of traffic or seconds of CPU time with sub-microsecond parts.
QUANTITY_DIGITS = 38
QUANTITY_PLACES = 9


def _quantity_field(verbose: object, **kwargs: object) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose, max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, **kwargs)  # type: ignore[arg-type]


class Source(models.TextChoices):
    API = "api", _("Ingestion API")
    MODULE = "module", _("Processing module")


class UsageRecord(models.Model):
    """How much of one measured resource a service used in one time bucket.

    ``record_id`` is unique per provider: the API caller supplies it, module collection derives
    it from (service, metric, bucket). A record is never changed: the same id again with the
    same quantity is ignored, with another quantity it is rejected. ``quantity`` is in the base
    unit of the resource's dimension (bytes, seconds, or the unit itself; see units.py).
    ``on`` is the bucket's date in the provider's time zone, what daily and monthly rating group by.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (provider, record_id) index leads with it, and one index
    # less is measurably faster ingestion. No database constraint either: the service's own
    # constraint already holds the provider (a service keeps its client and a client its
    # provider, both PROTECT), ingestion stores a record only for a service of that provider,
    # and a check per row (a key-share lock on the provider's one row, from every concurrent
    # sender) costs about a fifth of an insert. Deleting a provider still deletes its records
    # (CASCADE in Django).
    provider = models.ForeignKey(
        "clients.Provider", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    record_id = models.CharField(_("record id"), max_length=200)
    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="+", db_index=False)
    resource = models.CharField(_("measured parameter"), max_length=50)
    at = models.DateTimeField(_("bucket start"))
    on = models.DateField(_("day"))
    quantity = _quantity_field(_("quantity"))
    source = models.CharField(_("source"), max_length=6, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(_("received at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "record_id"], name="usage_record_id_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="usage_quantity_not_negative"),
        ]
        indexes = [models.Index(fields=["service", "on"], name="usage_service_day")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.service_id} {self.resource} {self.on} {self.quantity}"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ProviderToken(models.Model):
    """A provider's API token for the usage ingestion API. Only its SHA-256 is stored; the token
    itself is shown once, when staff create it."""

    PREFIX = "obp_"

    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="usage_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("begins with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("provider API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def new_raw() -> tuple[str, str, str]:
        """(raw token, prefix, hash) for a new token."""
        raw = ProviderToken.PREFIX + secrets.token_urlsafe(32)
        return raw, raw[:12], _hash_token(raw)

    @classmethod
    def issue(cls, provider: object, name: str) -> tuple[ProviderToken, str]:
        raw, prefix, digest = cls.new_raw()
        token = cls.objects.create(provider=provider, name=name, key_prefix=prefix, key_hash=digest)
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ProviderToken | None:
        return cls.objects.select_related("provider").filter(key_hash=_hash_token(raw), revoked_at__isnull=True).first()


class CollectionCursor(models.Model):
    """Where module collection of one metric of a service stands: the last reading of a
    cumulative counter (libvirt's byte and CPU counters) and when it was taken."""

    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=50)
    reading = models.DecimalField(
        _("last reading"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, null=True, blank=True
    )
    collected_through = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "metric"], name="collection_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.metric} @ {self.collected_through}"


class OverageRating(models.Model):
    """The rating of one statistics add-on of a service for one reporting period.

    ``usage``/``overage`` are in the add-on's unit; ``cost_amount`` = overage × overage price,
    rounded once. ``charged_amount`` is the cost charged so far (net, like ``cost_amount``): the
    increments charged, each under the key (add-on, reporting period, rated-through overage) with
    the client's tax added (so the ledger holds their gross), updated in the same transaction as
    its charge. ``due`` = cost above what was charged.
    """

    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="overage_ratings")
    addon = models.ForeignKey("catalog.Addon", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("reporting period from"))
    period_end = models.DateField(_("reporting period until"))  # exclusive
    usage = _quantity_field(_("used"), default=Decimal(0))
    overage = _quantity_field(_("overage"), default=Decimal(0))
    cost_amount = models.DecimalField(
        _("overage cost"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal(0)
    )
    charged_amount = models.DecimalField(
        _("charged"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal(0)
    )
    charged_through = _quantity_field(_("charged through overage"), default=Decimal(0))
    over_maximum = models.BooleanField(_("over the maximum"), default=False)
    due = models.BooleanField(default=False)
    unpaid = models.BooleanField(_("could not be charged"), default=False)
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        ordering = ["-period_start", "addon_id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "addon", "period_start"], name="overage_rating_unique"),
        ]
        indexes = [
            models.Index(fields=["period_start", "service"], name="overage_rating_period"),
            models.Index(fields=["service"], condition=Q(due=True), name="overage_rating_due"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.addon_id} {self.period_start}: {self.cost_amount}"
