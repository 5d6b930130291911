"""The services app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

from .choices import Operation, Status, SuspendReason

register(
    Template("operation", "%(operation)s", choices={"operation": Operation}),
    Template("status", "%(status)s", choices={"status": Status}),
    Template("suspend_reason", "%(reason)s", choices={"reason": SuspendReason}),
    Template(
        "operation_failed",
        _("%(operation)s failed; our staff have been notified."),
        choices={"operation": Operation},
        sentence=True,
    ),
    Template(
        "operation_retry",
        _("%(operation)s failed; it will be retried at %(at)s."),
        choices={"operation": Operation},
        sentence=True,
        datetimes=("at",),
    ),
    Template("no_room", _("No server has room for this service.")),
    Template("waiting_parameters", _("waiting for the client's parameters")),
    Template("deleted_before_delivery", _("deleted before delivery")),
    Template("deletion_on", _("deletion on %(at)s"), datetimes=("at",)),
    Template("refund_reversed", _("%(name)s: refund taken back, the deletion was cancelled")),
    Template("refund_unused", _("%(name)s: refund of the unused period")),
    Template("refund_undelivered", _("%(name)s: refund, the service was not delivered")),
    Template("renewal", _("%(name)s: renewal until %(date)s"), dates=("date",)),
    Template(
        "renewed",
        _("%(start)s → %(end)s (%(amount)s)"),
        datetimes=("start", "end"),
        money=("amount",),
    ),
    Template("expired_on", _("expired %(date)s"), dates=("date",)),
    Template("stopped_since", _("stopped since %(date)s"), dates=("date",)),
)
