"""Staff pages of support: the ticket queue, a ticket (reply, internal note, move, merge), abuse
reports (file, resolve). Every action goes through support.actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.services.models import Service

from . import actions, selectors
from .files import download_response
from .forms import AbuseReportForm, ReplyForm, StaffTicketForm
from .models import AbuseReport, Attachment, Department, Priority, Ticket, TicketStatus


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@staff_member_required
def queue(request: HttpRequest) -> HttpResponse:
    params = request.GET
    assignee = params.get("assignee", "")
    tickets = selectors.staff_queue(
        department=_int(params.get("department")),
        status=params.get("status") if params.get("status") in TicketStatus.values else None,
        priority=params.get("priority") if params.get("priority") in Priority.values else None,
        assignee=request.user.pk if assignee == "me" else _int(assignee),
        unassigned=assignee == "none",
    )[:200]
    now = timezone.now()
    rows = [(ticket, selectors.waiting_time(ticket, now)) for ticket in tickets]
    return render(
        request,
        "support/staff/queue.html",
        {
            "title": _("Support tickets"),
            "rows": rows,
            "departments": Department.objects.order_by("provider", "position", "name"),
            "statuses": TicketStatus.choices,
            "priorities": Priority.choices,
            "params": params,
        },
    )


def _do(request: HttpRequest, action: Any, *args: Any, done: str, **kwargs: Any) -> bool:
    try:
        action(*args, actor=Actor.of_user(request.user), now=timezone.now(), **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


@staff_member_required
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        Ticket.objects.select_related("client__provider", "department", "service", "assignee"), pk=pk
    )
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        handle = TICKET_VERBS.get(request.POST.get("verb") or "", _unknown_verb)
        if (response := handle(request, item, form)) is not None:
            return response
    return render(request, "support/staff/ticket.html", _ticket_context(item, form), status=400 if form.errors else 200)


def _ticket_context(item: Ticket, form: ReplyForm) -> dict[str, Any]:
    client = item.client
    return {
        "title": str(item),
        "ticket": item,
        "thread": selectors.staff_thread(item),
        "form": form,
        "update_form": StaffTicketForm(
            initial={"department": item.department_id, "priority": item.priority, "status": item.status}
        ),
        "client": client,
        "services": Service.objects.for_client(client).select_related("tariff").order_by("-pk")[:50],
        "reports": selectors.open_reports(client),
    }


def _back(item: Ticket) -> HttpResponse:
    return redirect("staff:support_ticket", item.pk)


def _reply(request: HttpRequest, item: Ticket, form: ReplyForm) -> HttpResponse | None:
    """A reply to the client or an internal note; None: the page again, with what went wrong."""
    if not form.is_valid():
        return None
    reply = request.POST.get("verb") == "reply"
    done = _("The reply was sent.") if reply else _("The note was added.")
    action = actions.staff_reply if reply else actions.add_note
    data = form.cleaned_data
    if _do(request, action, item, body=data["body"], files=data["attachments"], done=done):
        return _back(item)
    return None


def _update(request: HttpRequest, item: Ticket, form: ReplyForm) -> HttpResponse:
    """Move the ticket: department, priority, status."""
    update = StaffTicketForm(request.POST)
    if update.is_valid():
        data = update.cleaned_data
        _do(
            request,
            actions.update_ticket,
            item,
            department=data["department"],
            priority=data["priority"],
            status=data["status"],
            done=_("The ticket was updated."),
        )
    else:
        messages.error(request, _("Check the department, priority and status."))
    return _back(item)


def _assign(request: HttpRequest, item: Ticket, form: ReplyForm) -> HttpResponse:
    """Take the ticket (assign) or give it back (unassign)."""
    user = request.user if request.POST.get("verb") == "assign" else None
    _do(request, actions.update_ticket, item, assignee=user, unassign=user is None, done=_("The ticket was updated."))
    return _back(item)


def _merge(request: HttpRequest, item: Ticket, form: ReplyForm) -> HttpResponse:
    """Merge into the ticket whose number is given, and show that one."""
    into = _int(request.POST.get("into"))
    target = Ticket.objects.filter(pk=into).first() if into else None
    if target is None:
        messages.error(request, _("No such ticket."))
        return _back(item)
    if _do(request, actions.merge_ticket, item, target, done=_("The tickets were merged.")):
        return _back(target)
    return _back(item)


def _unknown_verb(request: HttpRequest, item: Ticket, form: ReplyForm) -> HttpResponse:
    messages.error(request, _("Unknown action."))
    return _back(item)


# What each button of the ticket page (its ``verb``) does.
TICKET_VERBS: dict[str, Callable[[HttpRequest, Ticket, ReplyForm], HttpResponse | None]] = {
    "reply": _reply,
    "note": _reply,
    "update": _update,
    "assign": _assign,
    "unassign": _assign,
    "merge": _merge,
}


@staff_member_required
def attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    item = Attachment.objects.filter(pk=pk).first()
    if item is None:
        raise Http404
    return download_response(item)


@staff_member_required
def abuse_list(request: HttpRequest) -> HttpResponse:
    form = AbuseReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and _file_report(request, form):
        messages.success(request, _("The abuse report was filed and the client was told."))
        return redirect("staff:support_abuse")
    reports = AbuseReport.objects.select_related("client", "service", "ticket").order_by("resolved_at", "-created_at")[
        :200
    ]
    return render(
        request,
        "support/staff/abuse.html",
        {"title": _("Abuse reports"), "reports": reports, "form": form},
        status=400 if form.errors else 200,
    )


def _file_report(request: HttpRequest, form: AbuseReportForm) -> bool:
    """File the report; False with the reason on the form when it cannot be."""
    data = form.cleaned_data
    client = Client.objects.filter(pk=data["client"]).first()
    service = Service.objects.filter(pk=data["service"]).first() if data["service"] else None
    if client is None:
        form.add_error("client", _("No such client."))
        return False
    try:
        actions.file_abuse_report(
            client,
            service=service,
            description=data["description"],
            evidence=data["evidence"],
            score=data["score"],
            deadline=data["deadline"],
            action=data["action"],
            files=data["attachments"],
            actor=Actor.of_user(request.user),
            now=timezone.now(),
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@staff_member_required
@require_POST
def abuse_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(AbuseReport, pk=pk)
    _do(request, actions.resolve_abuse_report, report, note=request.POST.get("note", "")[:2000], done=_("Resolved."))
    return redirect("staff:support_abuse")
