"""Processing modules (configured servers or clusters) and provisioning tasks (running operations)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openbill.core.crypto import MASK, decrypt, decrypt_json, encrypt_json


class ProcessingModule(models.Model):
    """A configured instance of a provisioning module: one server or cluster Openbill drives.

    ``config`` holds the plain connection settings; the module's secret settings (passwords,
    keys) live only in ``secrets_encrypted`` (core.crypto) and are shown nowhere. ``capacity``
    holds the limits Openbill enforces itself: resource totals (``{"ram": 64, "cpu": 32,
    "disk": 2000}`` in the add-ons' units) and ``services`` (how many services it may hold);
    an absent key means unlimited. ``max_running`` bounds the operations it runs at once (0 =
    unlimited). ``has_errors`` is set when a call fails with a retryable error and cleared by
    the next success: activation prefers instances without errors (BILLmanager §3.4).
    """

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("module"), max_length=40, help_text=_("manual, libvirt, acme…"))
    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="modules")
    tariffs = models.ManyToManyField("catalog.TariffPlan", blank=True, related_name="modules")
    config = models.JSONField(_("settings"), default=dict, blank=True)
    secrets_encrypted = models.TextField(_("secret settings (encrypted)"), blank=True, editable=False)
    capacity = models.JSONField(_("capacity"), default=dict, blank=True, help_text=_('e.g. {"ram": 65536, "cpu": 32}'))
    max_running = models.PositiveIntegerField(_("operations at once"), default=4)
    priority = models.IntegerField(_("priority"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    has_errors = models.BooleanField(_("has errors"), default=False, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    # --- secrets ------------------------------------------------------------------------------
    def get_secrets(self) -> dict[str, Any]:
        return decrypt_json(self.secrets_encrypted)

    def set_secrets(self, values: dict[str, Any]) -> None:
        """Store secret settings encrypted. A value equal to the mask (what a form shows) or
        empty keeps the stored one, so saving a form never wipes or leaks a password."""
        current = self.get_secrets()
        for key, value in values.items():
            if value in (None, "", MASK):
                continue
            current[key] = value
        self.secrets_encrypted = encrypt_json(current)

    def masked_secrets(self) -> dict[str, str]:
        return dict.fromkeys(self.get_secrets(), MASK)

    # --- capacity -----------------------------------------------------------------------------
    def limits(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for key, value in (self.capacity or {}).items():
            try:
                out[str(key)] = Decimal(str(value))
            except (InvalidOperation, ValueError):
                continue
        return out


class TaskState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    WAITING_STAFF = "waiting_staff", _("Waiting for staff")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (TaskState.QUEUED, TaskState.RUNNING, TaskState.WAITING_STAFF)


class ProvisioningTask(models.Model):
    """One remote operation on a service: the service's running operation while it is open.

    ``lease_owner``/``lease_until`` mark a worker's claim; a task whose lease expired is handed
    back by the reaper, so a worker killed mid-call loses nothing. ``idempotency_key`` is sent
    to modules so that a repeated call after a lost answer does the remote work once.
    """

    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="tasks")
    operation = models.CharField(_("operation"), max_length=20)
    state = models.CharField(_("state"), max_length=14, choices=TaskState.choices, default=TaskState.QUEUED)
    module = models.ForeignKey(ProcessingModule, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # DESIGN §3: at most one running operation per service.
            models.UniqueConstraint(
                fields=["service"], condition=Q(state__in=OPEN_STATES), name="one_open_task_per_service"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="task_due"),
            models.Index(fields=["state", "lease_until"], name="task_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} of service {self.service_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Certificate(models.Model):
    """The SSL certificate a module issued for a service (ACME): the client downloads the
    certificate and its chain; a private key Openbill generated is kept encrypted (core.crypto)
    and given only to the service's client. Renewal reissues (the row is replaced), deletion
    revokes (``revoked_at``)."""

    service = models.OneToOneField("services.Service", on_delete=models.CASCADE, related_name="certificate")
    domain = models.CharField(_("domain"), max_length=253)
    serial = models.CharField(_("serial number"), max_length=80)
    certificate_pem = models.TextField(_("certificate"))
    chain_pem = models.TextField(_("chain"), blank=True)
    private_key_encrypted = models.TextField(editable=False, blank=True)
    not_after = models.DateTimeField(_("valid until"))
    issued_at = models.DateTimeField(_("issued at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.domain} ({self.serial})"

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key_encrypted)

    def private_key_pem(self) -> str:
        return decrypt(self.private_key_encrypted) if self.private_key_encrypted else ""
