"""Support: departments, tickets and their threads (with attachments), abuse reports.

A ticket is a client's question (optionally about one of its services) and the thread of
messages that answers it; staff's internal notes live in the same thread and never leave the
staff side. An abuse report is staff's case against a client; its score counts towards the
client's abuse score while it is open (support.actions keeps the two in step).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Text, render, text_of


def new_token() -> str:
    return secrets.token_hex(6)


class SupportSettings(models.Model):
    """A provider's support settings: abuse scores are off until it sets a limit."""

    provider = models.OneToOneField("clients.Provider", on_delete=models.CASCADE, related_name="support_settings")
    abuse_limit = models.PositiveIntegerField(
        _("abuse score limit"),
        null=True,
        blank=True,
        help_text=_("Empty: abuse scores are off. Over this total, every service of the client is suspended."),
    )

    class Meta:
        verbose_name = _("support settings")
        verbose_name_plural = _("support settings")

    def __str__(self) -> str:
        return str(self.provider)


class Department(models.Model):
    """Where a ticket goes (Technical, Billing, Abuse…), with the address that hears of it."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("staff email"), blank=True, help_text=_("Told of new tickets and client replies."))
    is_abuse = models.BooleanField(_("abuse department"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="department_name_unique")]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CUSTOMER_REPLY = "customer_reply", _("Customer reply")
    ON_HOLD = "on_hold", _("On hold")
    CLOSED = "closed", _("Closed")


# Statuses in which the ticket waits for staff (the queue's "waiting since").
WAITING_FOR_STAFF = frozenset({TicketStatus.OPEN, TicketStatus.CUSTOMER_REPLY})


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketQuerySet(models.QuerySet["Ticket"]):
    def for_client(self, client: Any) -> TicketQuerySet:
        """A client's own tickets; a merged ticket lives on in the one it was merged into."""
        return self.filter(client=client, merged_into__isnull=True)


class Ticket(models.Model):
    """A question and its thread. ``waiting_since`` is set while staff owe an answer."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="tickets")
    service = models.ForeignKey(
        "services.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tickets")
    # What the client (or staff) wrote; a subject the system writes (an abuse report's) is a fact
    # instead (openbill.core.texts), rendered in the reader's language: ``title`` shows either.
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    subject_kind = models.CharField(max_length=40, blank=True, default="")
    subject_params = models.JSONField(default=dict, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets"
    )
    # In the subject of every mail about the ticket ("[#12 ref:…]"): how an emailed reply finds it.
    token = models.CharField(max_length=12, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField()
    waiting_since = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    client_read_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged")

    objects = TicketQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="ticket_client_recent"),
            models.Index(fields=["status", "waiting_since"], name="ticket_queue"),
            models.Index(fields=["status", "answered_at"], name="ticket_answered"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def title(self) -> str:
        """The subject in the active language (a stored fact's words, or what a person wrote)."""
        return render(self.subject_kind, self.subject_params) if self.subject_kind else self.subject

    @property
    def subject_fact(self) -> Text:
        """The subject as a fact, for a text or mail that shows it later in its reader's language."""
        return text_of(self, "subject") if self.subject_kind else Text.verbatim(self.subject)

    @property
    def unread(self) -> bool:
        """A staff answer the client has not opened yet."""
        return self.answered_at is not None and (self.client_read_at is None or self.client_read_at < self.answered_at)

    @property
    def mail_subject(self) -> str:
        return f"[#{self.pk} ref:{self.token}] {self.title}"


class AuthorKind(models.TextChoices):
    CLIENT = "client", _("Client")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class Message(models.Model):
    """One message of a thread. ``internal`` notes are staff's only: never shown, sent or served
    to the client."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    # What a person wrote; a message the system writes is a fact instead (openbill.core.texts),
    # rendered in the reader's language: ``text`` is what to show either way.
    body = models.TextField(_("message"), blank=True)
    body_kind = models.CharField(max_length=40, blank=True, default="")
    body_params = models.JSONField(default=dict, blank=True)
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_thread")]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.pk}"

    @property
    def text(self) -> str:
        return render(self.body_kind, self.body_params) if self.body_kind else self.body

    @property
    def author_name(self) -> str:
        if self.author_kind == AuthorKind.STAFF:
            return str(_("Support"))
        return self.author.get_username() if self.author else str(AuthorKind(self.author_kind).label)


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the client's file name is kept in ``name`` and never used on disk.
    return f"support/{secrets.token_hex(16)}"


class Attachment(models.Model):
    """A file of a message, served only through a view that checks who asks."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class AbuseAction(models.TextChoices):
    FORWARD = "forward", _("Forward to support")
    SUSPEND_ALL = "suspend_all", _("Suspend all the client's services")
    SUSPEND_SERVICE = "suspend_service", _("Suspend this service")


class AbuseReport(models.Model):
    """Staff's abuse case against a client. Open reports add their score to the client's."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="abuse_reports")
    service = models.ForeignKey("services.Service", on_delete=models.SET_NULL, null=True, blank=True)
    description = models.TextField(_("description"))
    evidence = models.TextField(_("evidence"), blank=True)
    score = models.PositiveIntegerField(_("score"))
    deadline = models.DateTimeField(_("correction deadline"))
    action = models.CharField(_("action after the deadline"), max_length=20, choices=AbuseAction.choices)
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="abuse_report")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set once, by a compare-and-swap, when the deadline action ran: it runs exactly once.
    deadline_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["client", "resolved_at"], name="abuse_client_open"),
            models.Index(
                fields=["deadline"],
                name="abuse_deadline_due",
                condition=models.Q(resolved_at__isnull=True, deadline_done_at__isnull=True),
            ),
        ]
        verbose_name = _("abuse report")
        verbose_name_plural = _("abuse reports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.client}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
