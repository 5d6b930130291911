"""Everything that changes a ticket or an abuse report.

Each action locks the row it changes, writes the thread message and the ticket's status facts in
one transaction, and queues mail after commit (a task takes the message id; nothing secret in
its arguments). Abuse reports move the client's abuse score in the transaction that saves them,
and the services' ``abuse`` reason goes through the lifecycle (services.actions), so the modules
really stop and resume them and History says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from openbill.clients.models import Client, Provider
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition, NotAllowed
from openbill.core.notify import notify
from openbill.core.texts import Text, in_context
from openbill.core.texts import fields as text_fields
from openbill.services import actions as services
from openbill.services.choices import Status, SuspendReason
from openbill.services.models import Service

from . import files as upload
from . import tasks
from .models import (
    AbuseAction,
    AbuseReport,
    Attachment,
    AuthorKind,
    Department,
    Message,
    Priority,
    Ticket,
    TicketStatus,
)
from .selectors import abuse_limit

SUBJECT_MAX = 200
BODY_MAX = 20000


def auto_close_days() -> int:
    return int(getattr(settings, "OPENBILL_SUPPORT_AUTOCLOSE_DAYS", 7))


# --- departments and settings -------------------------------------------------------------------
def abuse_department(provider: Provider) -> Department:
    """The provider's Abuse department (made on first use)."""
    department = Department.objects.filter(provider=provider, is_abuse=True).order_by("position", "id").first()
    if department is None:
        department, _created = Department.objects.get_or_create(
            provider=provider, name="Abuse", defaults={"is_abuse": True, "position": 90}
        )
    return department


def default_department(provider: Provider) -> Department:
    department = Department.objects.filter(provider=provider, is_abuse=False).order_by("position", "id").first()
    if department is None:
        department, _created = Department.objects.get_or_create(provider=provider, name="Technical")
    return department


# --- the thread -------------------------------------------------------------------------------
def _clean_text(value: str, *, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(_("This field may not be blank."), field=field)
    if len(text) > limit:
        raise DomainError(_("At most %(limit)s characters.") % {"limit": limit}, field=field)
    if "\x00" in text:
        raise DomainError(_("The text contains a NUL character."), field=field)
    return text


def _lock(ticket: Ticket | int) -> Ticket:
    pk = ticket if isinstance(ticket, int) else ticket.pk
    return Ticket.objects.select_for_update().select_related("client__provider", "department").get(pk=pk)


def _post(
    ticket: Ticket,
    *,
    body: str | Text,
    files: Sequence[upload.CheckedFile],
    kind: str,
    actor: Actor,
    now: datetime,
    internal: bool = False,
    tz: ZoneInfo | None = None,
) -> Message:
    """A message: what a person wrote (``str``), or what the system writes (a ``Text``)."""
    words = body if isinstance(body, str) else ""
    message = Message.objects.create(
        ticket=ticket,
        author_id=actor.user_id,
        author_kind=kind,
        body=words,
        internal=internal,
        created_at=now,
        **text_fields("body", None if isinstance(body, str) else body, tz),
    )
    for checked in files:
        attachment = Attachment(
            message=message, name=checked.name, content_type=checked.content_type, size=checked.size
        )
        attachment.file.save(checked.name, checked.content, save=False)
        attachment.save()
    return message


def _after_commit_mail(message: Message) -> None:
    message_id = message.pk
    if message.internal:
        return
    if message.author_kind == AuthorKind.CLIENT:
        transaction.on_commit(lambda: tasks.mail_staff.enqueue(message_id))
    else:
        transaction.on_commit(lambda: tasks.mail_client.enqueue(message_id))


def open_ticket(
    client: Client,
    *,
    subject: str,
    body: str,
    actor: Actor,
    now: datetime,
    department: Department | int | None = None,
    service: Service | int | None = None,
    priority: str = Priority.NORMAL,
    files: Iterable[Any] = (),
) -> Ticket:
    """A client's new question (about one of its services, or general)."""
    subject = _clean_text(subject, field="subject", limit=SUBJECT_MAX)
    body = _clean_text(body, field="body", limit=BODY_MAX)
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    if department is None:
        chosen = default_department(client.provider)
    else:
        pk = department if isinstance(department, int) else department.pk
        # The Abuse department takes staff's reports; clients ask the others.
        found = Department.objects.filter(provider=client.provider_id, pk=pk, is_abuse=False).first()
        if found is None:
            raise DomainError(_("Unknown department."), field="department")
        chosen = found
    about: Service | None = None
    if service is not None:
        pk = service if isinstance(service, int) else service.pk
        about = Service.objects.for_client(client).filter(pk=pk).first()
        if about is None:
            raise DomainError(_("Unknown service."), field="service")
    checked = upload.check_files(files)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            client=client,
            service=about,
            department=chosen,
            subject=subject,
            priority=priority,
            status=TicketStatus.OPEN,
            created_at=now,
            last_message_at=now,
            waiting_since=now,
            client_read_at=now,
        )
        message = _post(ticket, body=body, files=checked, kind=AuthorKind.CLIENT, actor=actor, now=now)
        _after_commit_mail(message)
    return ticket


def client_reply(ticket: Ticket, *, body: str, actor: Actor, now: datetime, files: Iterable[Any] = ()) -> Message:
    """The client writes: the ticket waits for staff again; a closed one reopens."""
    body = _clean_text(body, field="body", limit=BODY_MAX)
    checked = upload.check_files(files)
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.merged_into_id is not None:
            raise IllegalTransition(_("This ticket was merged into ticket #%(id)s.") % {"id": ticket.merged_into_id})
        message = _post(ticket, body=body, files=checked, kind=AuthorKind.CLIENT, actor=actor, now=now)
        ticket.status = TicketStatus.CUSTOMER_REPLY
        ticket.last_message_at = now
        ticket.waiting_since = ticket.waiting_since or now
        ticket.client_read_at = now
        ticket.closed_at = None
        ticket.save(update_fields=["status", "last_message_at", "waiting_since", "client_read_at", "closed_at"])
        _after_commit_mail(message)
    return message


def staff_reply(ticket: Ticket, *, body: str, actor: Actor, now: datetime, files: Iterable[Any] = ()) -> Message:
    """Staff answer: the client is mailed the reply; the ticket is Answered."""
    body = _clean_text(body, field="body", limit=BODY_MAX)
    checked = upload.check_files(files)
    with transaction.atomic():
        ticket = _lock(ticket)
        message = _post(ticket, body=body, files=checked, kind=AuthorKind.STAFF, actor=actor, now=now)
        ticket.status = TicketStatus.ANSWERED
        ticket.last_message_at = now
        ticket.answered_at = now
        ticket.waiting_since = None
        ticket.closed_at = None
        ticket.save(update_fields=["status", "last_message_at", "answered_at", "waiting_since", "closed_at"])
        _after_commit_mail(message)
    return message


def add_note(ticket: Ticket, *, body: str, actor: Actor, now: datetime, files: Iterable[Any] = ()) -> Message:
    """A staff-only note in the thread: no status change, no mail, never shown to the client."""
    body = _clean_text(body, field="body", limit=BODY_MAX)
    checked = upload.check_files(files)
    with transaction.atomic():
        ticket = _lock(ticket)
        return _post(ticket, body=body, files=checked, kind=AuthorKind.STAFF, actor=actor, now=now, internal=True)


def close_ticket(ticket: Ticket, *, actor: Actor, now: datetime) -> Ticket:
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.status == TicketStatus.CLOSED:
            return ticket
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = now
        ticket.waiting_since = None
        ticket.save(update_fields=["status", "closed_at", "waiting_since"])
        return ticket


def mark_read(ticket: Ticket, *, now: datetime) -> None:
    """The client opened the thread: its unread mark goes."""
    if ticket.unread:
        Ticket.objects.filter(pk=ticket.pk).update(client_read_at=now)
        ticket.client_read_at = now


def update_ticket(
    ticket: Ticket,
    *,
    actor: Actor,
    now: datetime,
    department: Department | None = None,
    priority: str | None = None,
    status: str | None = None,
    assignee: Any = None,
    unassign: bool = False,
) -> Ticket:
    """Staff move a ticket: department, priority, status, assignee."""
    with transaction.atomic():
        ticket = _lock(ticket)
        fields: list[str] = []
        if department is not None:
            if department.provider_id != ticket.client.provider_id:
                raise DomainError(_("Unknown department."), field="department")
            ticket.department = department
            fields.append("department")
        if priority is not None:
            if priority not in Priority.values:
                raise DomainError(_("Unknown priority."), field="priority")
            ticket.priority = priority
            fields.append("priority")
        if status is not None and status != ticket.status:
            if status not in TicketStatus.values:
                raise DomainError(_("Unknown status."), field="status")
            ticket.status = status
            ticket.closed_at = now if status == TicketStatus.CLOSED else None
            if status in (TicketStatus.OPEN, TicketStatus.CUSTOMER_REPLY):
                ticket.waiting_since = ticket.waiting_since or now
            else:
                ticket.waiting_since = None
            fields += ["status", "closed_at", "waiting_since"]
        if unassign:
            ticket.assignee = None
            fields.append("assignee")
        elif assignee is not None:
            if not getattr(assignee, "is_staff", False):
                raise DomainError(_("Only staff can be assigned."), field="assignee")
            ticket.assignee = assignee
            fields.append("assignee")
        if fields:
            ticket.save(update_fields=fields)
        return ticket


def merge_ticket(source: Ticket, into: Ticket, *, actor: Actor, now: datetime) -> Ticket:
    """A duplicate joins the ticket it repeats: its messages move there, it is closed."""
    if source.pk == into.pk:
        raise DomainError(_("A ticket cannot be merged into itself."), field="into")
    with transaction.atomic():
        first, second = sorted([source.pk, into.pk])
        locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
        source, into = locked[source.pk], locked[into.pk]
        if source.client_id != into.client_id:
            raise DomainError(_("Only tickets of the same client can be merged."), field="into")
        if into.merged_into_id is not None or source.merged_into_id is not None:
            raise IllegalTransition(_("This ticket was already merged."))
        Message.objects.filter(ticket=source).update(ticket=into)
        Message.objects.create(
            ticket=into,
            author_id=actor.user_id,
            author_kind=AuthorKind.STAFF,
            **text_fields("body", Text("ticket_merged", id=source.pk, subject=[source.subject_fact])),
            internal=True,
            created_at=now,
        )
        source.merged_into = into
        source.status = TicketStatus.CLOSED
        source.closed_at = now
        source.waiting_since = None
        source.save(update_fields=["merged_into", "status", "closed_at", "waiting_since"])
        if source.waiting_since is not None or into.waiting_since is not None:
            into.waiting_since = min(t for t in (into.waiting_since, source.last_message_at) if t)
        into.last_message_at = max(into.last_message_at, source.last_message_at)
        into.save(update_fields=["waiting_since", "last_message_at"])
        return into


def answered_without_reply(cutoff: datetime) -> QuerySet[Ticket]:
    """Answered before ``cutoff`` and not replied to since; an open abuse case stays open."""
    return (
        Ticket.objects.filter(status=TicketStatus.ANSWERED, answered_at__lte=cutoff)
        .exclude(abuse_report__isnull=False, abuse_report__resolved_at__isnull=True)
        .select_related("client")
    )


def auto_close_answered(*, now: datetime, days: int | None = None, limit: int = 500) -> list[int]:
    """Close Answered tickets the client left without a reply for ``days``; each once, with a
    notice. A compare-and-swap per ticket: a client reply that lands meanwhile wins."""
    cutoff = now - timedelta(days=auto_close_days() if days is None else days)
    closed: list[int] = []
    due = answered_without_reply(cutoff)
    for ticket in due.order_by("answered_at")[:limit]:
        with transaction.atomic():
            changed = Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.ANSWERED, answered_at__lte=cutoff).update(
                status=TicketStatus.CLOSED, closed_at=now
            )
            if changed != 1:
                continue
            notify(
                ticket.client,
                "support_ticket_closed",
                key=f"support-autoclose:{ticket.pk}:{ticket.answered_at.isoformat() if ticket.answered_at else ''}",
                now=now,
                context={"ticket_id": ticket.pk, "subject": in_context(ticket.subject_fact)},
            )
            closed.append(ticket.pk)
    return closed


# --- abuse ------------------------------------------------------------------------------------
def open_abuse_score(client: Client) -> int:
    total = AbuseReport.objects.filter(client=client, resolved_at__isnull=True).aggregate(total=Sum("score"))["total"]
    return int(total or 0)


def file_abuse_report(
    client: Client,
    *,
    description: str,
    score: int,
    deadline: datetime,
    action: str,
    actor: Actor,
    now: datetime,
    service: Service | None = None,
    evidence: str = "",
    files: Iterable[Any] = (),
) -> AbuseReport:
    """Open the case and its ticket in the Abuse department; the client is told. The client's
    score moves in this same transaction, and over the limit its services are suspended."""
    if not actor.is_staff:
        raise NotAllowed(_("Only staff file abuse reports."))
    description = _clean_text(description, field="description", limit=BODY_MAX)
    if score < 0:
        raise DomainError(_("The score cannot be negative."), field="score")
    if action not in AbuseAction.values:
        raise DomainError(_("Unknown action."), field="action")
    if service is not None and service.client_id != client.pk:
        raise DomainError(_("Unknown service."), field="service")
    if action == AbuseAction.SUSPEND_SERVICE and service is None:
        raise DomainError(_("Choose the service to suspend."), field="service")
    checked = upload.check_files(files)
    with transaction.atomic():
        client = Client.objects.select_for_update().select_related("provider").get(pk=client.pk)
        subject = Text("abuse_subject_service", service=service.name) if service else Text("abuse_subject")
        ticket = Ticket.objects.create(
            client=client,
            service=service,
            department=abuse_department(client.provider),
            **text_fields("subject", subject),
            priority=Priority.HIGH,
            status=TicketStatus.ANSWERED,
            created_at=now,
            last_message_at=now,
            answered_at=now,
        )
        if evidence.strip():
            text = Text("abuse_report_evidence", description=description, evidence=evidence.strip(), deadline=deadline)
        else:
            text = Text("abuse_report", description=description, deadline=deadline)
        message = _post(
            ticket, body=text, files=checked, kind=AuthorKind.STAFF, actor=actor, now=now, tz=client.provider.tz
        )
        report = AbuseReport.objects.create(
            client=client,
            service=service,
            description=description,
            evidence=evidence,
            score=score,
            deadline=deadline,
            action=action,
            ticket=ticket,
            filed_by_id=actor.user_id,
            created_at=now,
        )
        _after_commit_mail(message)
        apply_abuse_score(client, actor=actor, now=now)
    return report


def resolve_abuse_report(report: AbuseReport, *, actor: Actor, now: datetime, note: str = "") -> AbuseReport:
    """Only staff lift abuse: by resolving reports. Back at or under the limit, services resume
    unless another reason holds them."""
    if not actor.is_staff:
        raise NotAllowed(_("Only staff resolve abuse reports."))
    with transaction.atomic():
        client = Client.objects.select_for_update().select_related("provider").get(pk=report.client_id)
        changed = AbuseReport.objects.filter(pk=report.pk, resolved_at__isnull=True).update(resolved_at=now)
        report.refresh_from_db()
        if changed:
            Message.objects.create(
                ticket_id=report.ticket_id,
                author_id=actor.user_id,
                author_kind=AuthorKind.STAFF,
                body=note.strip(),
                **text_fields("body", None if note.strip() else Text("abuse_report_resolved")),
                created_at=now,
            )
            apply_abuse_score(client, actor=actor, now=now)
    return report


def _abuse_services(client: Client) -> list[Service]:
    return list(Service.objects.for_client(client).filter(status__in=[Status.ACTIVE, Status.SUSPENDED]).order_by("pk"))


def apply_abuse_score(client: Client, *, actor: Actor, now: datetime) -> int:
    """Store the client's score and put its services in line with the limit. The caller holds
    the client's row lock, so two reports saved at once count each other."""
    score = open_abuse_score(client)
    Client.objects.filter(pk=client.pk).update(abuse_score=score)
    client.abuse_score = score
    limit = abuse_limit(client.provider)
    over = limit is not None and score > limit
    for service in _abuse_services(client):
        if over and SuspendReason.ABUSE not in service.suspend_reasons:
            services.suspend(service, reason=SuspendReason.ABUSE, actor=actor, now=now, note=Text("abuse_over_limit"))
        elif not over and SuspendReason.ABUSE in service.suspend_reasons and not _held_by_deadline(service):
            services.resume(service, reason=SuspendReason.ABUSE, actor=actor, now=now, note=Text("abuse_resolved"))
    return score


def _held_by_deadline(service: Service) -> bool:
    """A service suspended by an unresolved report's deadline action stays suspended."""
    open_reports = AbuseReport.objects.filter(
        client=service.client_id, resolved_at__isnull=True, deadline_done_at__isnull=False
    )
    return (
        open_reports.filter(action=AbuseAction.SUSPEND_ALL).exists()
        or open_reports.filter(action=AbuseAction.SUSPEND_SERVICE, service=service).exists()
    )


def due_abuse_deadlines(now: datetime) -> list[AbuseReport]:
    return list(
        AbuseReport.objects.filter(resolved_at__isnull=True, deadline_done_at__isnull=True, deadline__lte=now)
        .select_related("client__provider", "service", "ticket")
        .order_by("deadline", "pk")
    )


def run_abuse_deadline(report: AbuseReport, *, now: datetime) -> bool:
    """The action of a report whose deadline passed unfixed, once: the compare-and-swap on
    ``deadline_done_at`` is what makes a second sweep (or worker) do nothing."""
    actor = Actor.system("abuse deadline")
    with transaction.atomic():
        client = Client.objects.select_for_update().select_related("provider").get(pk=report.client_id)
        claimed = AbuseReport.objects.filter(
            pk=report.pk, resolved_at__isnull=True, deadline_done_at__isnull=True, deadline__lte=now
        ).update(deadline_done_at=now)
        if claimed != 1:
            return False
        if report.action == AbuseAction.FORWARD:
            Ticket.objects.filter(pk=report.ticket_id).update(
                status=TicketStatus.OPEN, waiting_since=now, closed_at=None
            )
            Message.objects.create(
                ticket_id=report.ticket_id,
                author_kind=AuthorKind.SYSTEM,
                **text_fields("body", Text("abuse_forwarded")),
                internal=True,
                created_at=now,
            )
            return True
        targets = _abuse_services(client)
        if report.action == AbuseAction.SUSPEND_SERVICE:
            targets = [s for s in targets if s.pk == report.service_id]
        for service in targets:
            services.suspend(
                service,
                reason=SuspendReason.ABUSE,
                actor=actor,
                now=now,
                note=Text("abuse_deadline"),
            )
        Message.objects.create(
            ticket_id=report.ticket_id,
            author_kind=AuthorKind.SYSTEM,
            **text_fields("body", Text("abuse_services_suspended")),
            created_at=now,
        )
        return True
