"""Read queries of support: a client's tickets and thread, staff's queue, abuse summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Prefetch, QuerySet
from django.utils.translation import gettext as _

from openbill.clients.models import Client
from openbill.core.errors import NotAllowed

from .models import AbuseReport, Attachment, Message, SupportSettings, Ticket, TicketStatus


def client_tickets(client: Any) -> QuerySet[Ticket]:
    return Ticket.objects.for_client(client).select_related("service", "department").order_by("-last_message_at", "-id")


def client_thread(ticket: Ticket) -> QuerySet[Message]:
    """What the client may read: never an internal note."""
    return (
        Message.objects.filter(ticket=ticket, internal=False)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def staff_thread(ticket: Ticket) -> QuerySet[Message]:
    return (
        Message.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def client_attachment(client: Any, pk: int) -> Attachment | None:
    """An attachment the client may download: of its own ticket, never of an internal note."""
    return (
        Attachment.objects.filter(pk=pk, message__internal=False, message__ticket__client=client)
        .select_related("message__ticket")
        .first()
    )


def awaiting_client(client: Any) -> QuerySet[Ticket]:
    """Open questions the provider answered and the client has not: the dashboard's list, which
    shows each ticket's own title and state (no service or department joined)."""
    return Ticket.objects.for_client(client).filter(status=TicketStatus.ANSWERED).order_by("-last_message_at", "-id")


def staff_queue(
    *,
    department: int | None = None,
    status: str | None = None,
    priority: str | None = None,
    assignee: int | None = None,
    unassigned: bool = False,
) -> QuerySet[Ticket]:
    """Oldest-waiting first; tickets that wait for nobody come after, newest first."""
    tickets = Ticket.objects.filter(merged_into__isnull=True).select_related(
        "client", "department", "assignee", "service"
    )
    tickets = tickets.filter(status=status) if status else tickets.exclude(status=TicketStatus.CLOSED)
    if department:
        tickets = tickets.filter(department_id=department)
    if priority:
        tickets = tickets.filter(priority=priority)
    if unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee_id=assignee)
    return tickets.annotate(messages_count=Count("messages")).order_by(
        F("waiting_since").asc(nulls_last=True), "-last_message_at", "id"
    )


def open_reports(client: Any) -> QuerySet[AbuseReport]:
    return AbuseReport.objects.filter(client=client, resolved_at__isnull=True).select_related("ticket", "service")


def waiting_time(ticket: Ticket, now: datetime) -> str:
    if ticket.waiting_since is None:
        return ""
    seconds = int((now - ticket.waiting_since).total_seconds())
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def abuse_limit(provider: Any) -> int | None:
    """The provider's abuse score limit; None while abuse scores are off."""
    row = SupportSettings.objects.filter(provider=provider).first()
    return row.abuse_limit if row else None


def ordering_blocked(client: Any) -> bool:
    """Over the abuse limit, a client orders nothing new."""
    limit = abuse_limit(client.provider_id)
    if limit is None:
        return False
    # The stored score, not the caller's copy: a report may have been filed since it was read.
    score = Client.objects.filter(pk=client.pk).values_list("abuse_score", flat=True).first() or 0
    return score > limit


def check_may_order(client: Any) -> None:
    """Raise 403 (NotAllowed) while the client's abuse score is over the provider's limit."""
    if ordering_blocked(client):
        raise NotAllowed(
            _("New orders are blocked while your account is under an abuse review. Please answer the abuse ticket.")
        )


def abuse_ticket_of(service: Any) -> Ticket | None:
    """The ticket to point a client to when a service is suspended for abuse."""
    report = open_reports(service.client_id).order_by("-created_at").first()
    return report.ticket if report else None
