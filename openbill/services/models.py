"""Services: what a client pays for, its status facts, add-ons, parameters and history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS
from openbill.core.texts import text_property
from openbill.core.timeutil import Period

from .choices import SUSPENDED_LABELS, Label, Operation, Status, SuspendReason, event_kind_label

REASON_FIELDS: dict[str, str] = {
    SuspendReason.CLIENT: "suspended_by_client",
    SuspendReason.ADMIN: "suspended_by_admin",
    SuspendReason.ABUSE: "suspended_for_abuse",
    SuspendReason.EXPIRED: "suspended_expired",
    SuspendReason.OVERUSE: "suspended_overuse",
}


class ServiceQuerySet(models.QuerySet["Service"]):
    def for_client(self, client: Any) -> ServiceQuerySet:
        """The services a client may see: everything not deleted, always scoped by client."""
        return self.filter(client=client).exclude(status=Status.DELETED)

    def for_client_with_deleted(self, client: Any, since: datetime) -> ServiceQuerySet:
        """``for_client`` plus the services deleted since ``since``: their client still reads
        them (details and History), nothing more."""
        gone_before = Q(deleted_at__isnull=True) | Q(deleted_at__lt=since)
        return self.filter(client=client).exclude(Q(status=Status.DELETED) & gone_before)

    def with_label(self, label: str) -> ServiceQuerySet:
        """Filter by a client-visible label, with the same precedence as ``Service.label``."""
        idle = Q(operation="")
        suspended = Q(status=Status.SUSPENDED) & idle
        match label:
            case Label.IN_PROGRESS:
                return self.exclude(operation="")
            case Label.SUSPENDED_ABUSE:
                return self.filter(suspended & Q(suspended_for_abuse=True))
            case Label.SUSPENDED_ADMIN:
                return self.filter(suspended & Q(suspended_by_admin=True, suspended_for_abuse=False))
            case Label.SUSPENDED:
                return self.filter(suspended & Q(suspended_by_admin=False, suspended_for_abuse=False))
            case _:
                return self.filter(idle & Q(status=label))


class Service(models.Model):
    """One thing a client pays for.

    The status facts — ``status``, the ``suspended_*`` reason flags and ``operation`` (the
    running operation, mirrored from the open ProvisioningTask) — are written only by
    ``services.actions``; see DESIGN.md §3 for the rules that keep them consistent.
    """

    # Indexed by service_client_recent and the other indexes that lead with the client.
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="services", db_index=False)
    tariff = models.ForeignKey("catalog.TariffPlan", on_delete=models.PROTECT, related_name="services")
    product_type = models.ForeignKey("catalog.ProductType", on_delete=models.PROTECT, related_name="services")
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.ORDERED, editable=False
    )
    suspended_by_client = models.BooleanField(default=False, editable=False)
    suspended_by_admin = models.BooleanField(default=False, editable=False)
    suspended_for_abuse = models.BooleanField(default=False, editable=False)
    suspended_expired = models.BooleanField(default=False, editable=False)
    suspended_overuse = models.BooleanField(default=False, editable=False)
    suspended_at = models.DateTimeField(null=True, blank=True, editable=False)
    operation = models.CharField(
        _("operation in progress"), max_length=20, choices=Operation.choices, blank=True, default="", editable=False
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default=Period.MONTH)
    auto_renew = models.BooleanField(_("auto-renewal"), default=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("ordered at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("paid until"), null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, editable=False)
    delete_at = models.DateTimeField(_("scheduled deletion"), null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    module = models.ForeignKey(
        "provisioning.ProcessingModule", on_delete=models.PROTECT, null=True, blank=True, related_name="services"
    )
    remote_id = models.CharField(_("remote id"), max_length=200, blank=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["client", "status", "id"], name="service_client_status"),
            # The services list, newest first (ORDER BY id DESC LIMIT n): without it PostgreSQL
            # walks the primary key backwards past every other client's rows for a client whose
            # services are old (bench pages, 100k services: 199 ms → 0.07 ms).
            models.Index(fields=["client", "id"], name="service_client_recent"),
            # The dashboard's Active Services, soonest expiry first, read in index order.
            models.Index(
                fields=["client", "expires_at", "id"],
                condition=Q(status__in=[Status.ACTIVE, Status.SUSPENDED]),
                name="service_client_live_expiry",
            ),
            models.Index(fields=["client", "product_type", "id"], name="service_client_type"),
            models.Index(fields=["status", "expires_at"], name="service_status_expiry"),
            models.Index(fields=["suspended_expired", "suspended_at"], name="service_expired_since"),
            models.Index(fields=["delete_at"], name="service_delete_at"),
        ]
        constraints = [
            # DESIGN §3: a suspended service has a reason, or an operation is under way whose
            # end will open the resume (reconcile).
            models.CheckConstraint(
                condition=~Q(status=Status.SUSPENDED)
                | Q(suspended_by_client=True)
                | Q(suspended_by_admin=True)
                | Q(suspended_for_abuse=True)
                | Q(suspended_expired=True)
                | Q(suspended_overuse=True)
                | ~Q(operation=""),
                name="service_suspended_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"

    # --- reasons ------------------------------------------------------------------------------
    @property
    def suspend_reasons(self) -> frozenset[str]:
        return frozenset(reason for reason, field in REASON_FIELDS.items() if getattr(self, field))

    @suspend_reasons.setter
    def suspend_reasons(self, reasons: frozenset[str] | set[str] | list[str]) -> None:
        wanted = set(reasons)
        for reason, field in REASON_FIELDS.items():
            setattr(self, field, reason in wanted)

    @property
    def has_open_operation(self) -> bool:
        return bool(self.operation)

    # --- what the client sees -----------------------------------------------------------------
    @property
    def label_code(self) -> str:
        if self.operation:
            return Label.IN_PROGRESS
        if self.status == Status.SUSPENDED:
            if self.suspended_for_abuse:
                return Label.SUSPENDED_ABUSE
            if self.suspended_by_admin:
                return Label.SUSPENDED_ADMIN
            return Label.SUSPENDED
        return str(self.status)

    @property
    def label(self) -> str:
        """The seed's status wording, with the running operation ("In progress (reboot)")."""
        if self.operation:
            return gettext("In progress (%(operation)s)") % {"operation": Operation(self.operation).label}
        if self.status == Status.SUSPENDED:
            for reason, text in SUSPENDED_LABELS:
                if reason in self.suspend_reasons:
                    return str(text)
            return gettext("Suspended")
        return str(Status(self.status).label)

    # --- the add-on lines ---------------------------------------------------------------------
    def addon_lines(self) -> list[ServiceAddon]:
        """The service's add-on lines, by id: those a list loaded with its page
        (``services.selectors.priced``), else ``addons.all()``, prefetched or not."""
        lines: list[ServiceAddon] | None = self.__dict__.get("_page_addon_lines")
        return lines if lines is not None else list(self.addons.all())

    def keep_addon_lines(self, lines: list[ServiceAddon]) -> None:
        """Give the service the lines ``addon_lines`` answers with (loaded for a whole page in
        one query: a prefetch would build a queryset per row that is never run)."""
        self.__dict__["_page_addon_lines"] = lines

    def is_stopped(self, now: datetime) -> bool:
        """Stopped by its expiry (or deleted): the widget says "Stopped DATE" instead of "Expires
        DATE". A service suspended for another reason (the client, an administrator, abuse) is
        not: its paid period still runs."""
        if self.status == Status.DELETED or self.suspended_expired:
            return True
        return self.expires_at is not None and self.expires_at <= now


class ServiceAddon(models.Model):
    """The quantity (or chosen item) of one add-on on a service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="addons")
    addon = models.ForeignKey("catalog.Addon", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(
        _("quantity"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal(0)
    )
    enum_item = models.ForeignKey(
        "catalog.AddonEnumItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "addon"], name="service_addon_unique")]

    def __str__(self) -> str:
        return f"{self.addon.name}: {self.enum_item or format(self.quantity.normalize(), 'f')}"


class ServiceEvent(models.Model):
    """One line of a service's History: who, when, from, to, why. Append-only."""

    # Indexed by service_event_recent, which leads with the service.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(_("when"))
    actor_kind = models.CharField(max_length=10)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("who"), max_length=200)
    kind = models.CharField(_("what"), max_length=40)
    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24, blank=True)
    # The note, as a fact (openbill.core.texts): rendered in the reader's language.
    note_kind = models.CharField(_("note"), max_length=40, blank=True)
    note_params = models.JSONField(default=dict, blank=True)

    note = text_property("note")

    @property
    def kind_label(self) -> str:
        return event_kind_label(self.kind)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["service", "-at"], name="service_event_recent")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.kind} {self.from_status}->{self.to_status}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("History is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


# The automation's records (sweep runs, leased batches, fuse alerts) live in their own module.
from .automation.models import SweepAlert, SweepBatch, SweepRun  # noqa: E402, F401
