"""The service's status model: confirmed status, suspension reasons, operations, transitions.

See DESIGN.md §3. ``status`` is what the remote system has confirmed; suspension reasons say
why it must be stopped; the running operation is what is under way. The client-visible label
is derived from the three (``status_label``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    CONFIGURATION_REQUIRED = "configuration_required", _("Configuration required")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    NOT_AVAILABLE = "not_available", _("Not available")
    DELETED = "deleted", _("Deleted")


class EventKind(models.TextChoices):
    """What a History row (ServiceEvent) records. The API serves it as an enum: a new kind
    must be added here (services/tests/test_event_kinds.py finds every kind the code writes),
    with its label: what the client reads in History."""

    ORDERED = "ordered", _("Ordered")
    PAID = "paid", _("Paid")
    STATUS = "status", _("Status changed")
    OPERATION_STARTED = "operation started", _("Operation started")
    OPERATION_DONE = "operation done", _("Operation completed")
    OPERATION_CANCELLED = "operation cancelled", _("Operation cancelled")
    OPERATION_FAILED = "operation failed", _("Operation failed")
    OPERATION_ERROR = "operation error", _("Operation error, will be retried")
    OPERATION_RETRIED = "operation retried", _("Operation retried")
    SUSPENSION_REQUESTED = "suspension requested", _("Suspension requested")
    SUSPENSION_LIFTED = "suspension lifted", _("Suspension lifted")
    PARAMETERS_CHANGED = "parameters changed", _("Parameters changed")
    SETTINGS_CHANGED = "settings changed", _("Settings changed")
    CHANGED = "changed", _("Tariff or add-ons changed")
    CHANGE_REVERTED = "change reverted", _("Change reverted")
    RENEWED = "renewed", _("Renewed")
    REFUND = "refund", _("Refund of the unused period")
    REFUND_REVERSED = "refund reversed", _("Refund taken back")
    DELETION_REQUESTED = "deletion requested", _("Deletion requested")
    DELETION_SCHEDULED = "deletion scheduled", _("Deletion scheduled")
    DELETION_CANCELLED = "deletion cancelled", _("Scheduled deletion cancelled")
    AUTOMATIC_DELETION = "automatic deletion", _("Automatic deletion")
    ADDRESSES_ASSIGNED = "addresses assigned", _("IP addresses assigned")
    ADDRESS_RELEASED = "address released", _("IP address released")
    REVERSE_NAME_CHANGED = "reverse name changed", _("Reverse name changed")
    MACHINE = "machine", _("Virtual server")
    NAME_SERVERS = "name servers", _("Name servers changed")
    VERIFICATION_SUBMITTED = "verification submitted", _("Verification documents submitted")
    DOMAIN_PHASE = "domain phase", _("Domain expiry: grace, redemption or restore")


def event_kind_label(kind: str) -> str:
    """What the client reads for a History row's kind."""
    return str(EventKind(kind).label) if kind in EventKind.values else kind


class SuspendReason(models.TextChoices):
    CLIENT = "client", _("Suspended by the client")
    ADMIN = "admin", _("Suspended by administrator")
    ABUSE = "abuse", _("Suspended due to abuse")
    EXPIRED = "expired", _("Not renewed")
    OVERUSE = "overuse", _("Usage over the limit")


class Operation(models.TextChoices):
    ACTIVATION = "activation", _("activation")
    SUSPENSION = "suspension", _("suspension")
    RESUME = "resume", _("resume")
    REBOOT = "reboot", _("reboot")
    RENEWAL = "renewal", _("renewal")
    TRANSFER = "transfer", _("transfer")
    DELETION = "deletion", _("deletion")
    RECONFIGURATION = "reconfiguration", _("reconfiguration")


# The confirmed-status moves. Everything else raises IllegalTransition.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ORDERED: frozenset({Status.CONFIGURATION_REQUIRED, Status.ACTIVE, Status.NOT_AVAILABLE, Status.DELETED}),
    Status.CONFIGURATION_REQUIRED: frozenset({Status.ACTIVE, Status.NOT_AVAILABLE, Status.DELETED}),
    Status.NOT_AVAILABLE: frozenset({Status.ACTIVE, Status.DELETED}),
    Status.ACTIVE: frozenset({Status.SUSPENDED, Status.DELETED}),
    Status.SUSPENDED: frozenset({Status.ACTIVE, Status.DELETED}),
    Status.DELETED: frozenset(),
}

# The status an operation leads to when the module confirms it (None: the status stays).
OPERATION_RESULT: dict[str, str | None] = {
    Operation.ACTIVATION: Status.ACTIVE,
    Operation.SUSPENSION: Status.SUSPENDED,
    Operation.RESUME: Status.ACTIVE,
    Operation.DELETION: Status.DELETED,
    Operation.REBOOT: None,
    Operation.RENEWAL: None,
    Operation.TRANSFER: None,
    Operation.RECONFIGURATION: None,
}

# The statuses from which an operation may start.
OPERATION_FROM: dict[str, frozenset[str]] = {
    Operation.ACTIVATION: frozenset({Status.ORDERED, Status.CONFIGURATION_REQUIRED, Status.NOT_AVAILABLE}),
    Operation.SUSPENSION: frozenset({Status.ACTIVE}),
    Operation.RESUME: frozenset({Status.SUSPENDED}),
    Operation.REBOOT: frozenset({Status.ACTIVE}),
    Operation.RENEWAL: frozenset({Status.ACTIVE, Status.SUSPENDED}),
    Operation.TRANSFER: frozenset({Status.ACTIVE, Status.SUSPENDED}),
    Operation.DELETION: frozenset(
        {Status.ACTIVE, Status.SUSPENDED, Status.NOT_AVAILABLE, Status.CONFIGURATION_REQUIRED, Status.ORDERED}
    ),
    Operation.RECONFIGURATION: frozenset({Status.ACTIVE, Status.SUSPENDED}),
}

# Statuses whose services count as live for lists like "Active Services".
LIVE_STATUSES = frozenset({Status.ACTIVE, Status.SUSPENDED})

# Client-visible labels of suspended services, in precedence order.
SUSPENDED_LABELS = (
    (SuspendReason.ABUSE, _("Suspended due to abuse")),
    (SuspendReason.ADMIN, _("Suspended by administrator")),
)


class Label(models.TextChoices):
    """The seed's client-visible statuses (what the Goods/Services filter offers)."""

    ORDERED = "ordered", _("Ordered")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    SUSPENDED_ADMIN = "suspended_admin", _("Suspended by administrator")
    SUSPENDED_ABUSE = "suspended_abuse", _("Suspended due to abuse")
    IN_PROGRESS = "in_progress", _("In progress")
    CONFIGURATION_REQUIRED = "configuration_required", _("Configuration required")
    NOT_AVAILABLE = "not_available", _("Not available")
    DELETED = "deleted", _("Deleted")
