"""What a service allows in its state: the one rule (DESIGN.md §4) that the row actions, the
service page, the client-area views, the API and the domain actions themselves all ask.

A service being deleted — deleted, its deletion running, or a deletion asked for (now or at the
end of the paid period) — accepts no charge and no change: it offers only its details and its
History, and, while the deletion is only scheduled, keeping the service. Everything else follows
the confirmed status (DESIGN.md §3). Who may do an allowed action (the product type's policy: a
client may suspend, may delete) is the action's own check.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from openbill.catalog.instructions import missing_values
from openbill.core.errors import IllegalTransition

from .choices import Operation, Status
from .models import Service


class Action(models.TextChoices):
    DETAILS = "details"
    HISTORY = "history"
    STATISTICS = "statistics"
    INSTRUCTIONS = "instructions"
    CONFIGURE = "configure"
    EXTEND = "extend"
    EDIT = "edit"
    SUSPEND = "suspend"
    RESUME = "resume"
    REBOOT = "reboot"
    DELETE = "delete"
    CANCEL_DELETION = "cancel_deletion"
    ASK = "ask"  # a question to the provider about this service (support)


READ_ONLY = frozenset({Action.DETAILS, Action.HISTORY})
# Only servers reboot.
REBOOTABLE_KINDS = frozenset({"vds", "dedicated"})
STATISTICS_KINDS = frozenset({"vds", "hosting"})


def in_deletion(service: Service) -> bool:
    """Deleted, being deleted, or a deletion asked for (now or scheduled)."""
    return service.status == Status.DELETED or service.operation == Operation.DELETION or service.delete_at is not None


def deletion_scheduled(service: Service, now: datetime) -> bool:
    """A deletion asked for at a later date (the end of the paid period), not started yet."""
    return (
        service.delete_at is not None
        and service.delete_at > now
        and service.status != Status.DELETED
        and service.operation != Operation.DELETION
    )


def instructions_offered(service: Service) -> bool:
    """A manual is offered once the service is active (it has been activated and runs or is
    suspended) and has every value the manual shows."""
    if service.status not in (Status.ACTIVE, Status.SUSPENDED) or service.activated_at is None:
        return False
    source = service.product_type.instruction_template
    return bool(source.strip()) and not missing_values(service, source)


def allowed_actions(service: Service, now: datetime | None = None) -> frozenset[str]:
    """The actions ``service`` allows in its present state."""
    return _allowed(service, now, manual=True)


def allows(service: Service, action: str, now: datetime | None = None) -> bool:
    """``action in allowed_actions(service, now)``, without working out the values the manual
    shows (``instructions_offered``) unless ``action`` is the manual: a list asking each row
    about one action only does not check every row's manual."""
    return action in _allowed(service, now, manual=action == Action.INSTRUCTIONS)


def _allowed(service: Service, now: datetime | None, *, manual: bool) -> frozenset[str]:
    """``allowed_actions``; with ``manual=False``, the same less INSTRUCTIONS, always."""
    now = now or timezone.now()
    allowed = set(READ_ONLY)
    if in_deletion(service):
        if deletion_scheduled(service, now):
            allowed.add(Action.CANCEL_DELETION)  # the client may still keep it
        return frozenset(allowed)
    status = service.status
    kind = service.product_type.kind
    allowed.add(Action.ASK)
    if kind in STATISTICS_KINDS:
        allowed.add(Action.STATISTICS)
    if manual and instructions_offered(service):
        allowed.add(Action.INSTRUCTIONS)
    if status in (Status.ORDERED, Status.CONFIGURATION_REQUIRED):
        allowed.add(Action.CONFIGURE)
    if status in (Status.ACTIVE, Status.SUSPENDED):
        allowed.add(Action.EDIT)
        if service.activated_at is not None:
            allowed.add(Action.EXTEND)
    if status == Status.ACTIVE:
        allowed.add(Action.SUSPEND)
        if kind in REBOOTABLE_KINDS and not service.operation:
            allowed.add(Action.REBOOT)
    if service.suspend_reasons:
        allowed.add(Action.RESUME)
    allowed.add(Action.DELETE)
    return frozenset(allowed)


def refusal(service: Service, now: datetime | None = None) -> str:
    """Why an action the service does not allow is refused, in the client's words."""
    now = now or timezone.now()
    if service.status == Status.DELETED:
        return _("The service is deleted.")
    if deletion_scheduled(service, now):
        return _("The service is scheduled for deletion: cancel the scheduled deletion first.")
    if in_deletion(service):
        return _("The service is being deleted: only its history is available.")
    if service.operation:
        return _("Another operation is in progress: %(operation)s.") % {"operation": Operation(service.operation).label}
    return _("This is not possible while the service is %(status)s.") % {"status": service.label}


def check_allowed(service: Service, action: str, now: datetime | None = None) -> None:
    """Raise IllegalTransition (HTTP 409) unless the service allows ``action`` now."""
    if not allows(service, action, now):
        raise IllegalTransition(refusal(service, now))
