"""Support in the client area: the client's tickets, a thread, a new question, attachments.

Every lookup goes through the client's own tickets (support.selectors), so another client's
ticket or file is a 404; the thread never includes staff's internal notes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.paging import page_of
from openbill.core.replica import replica_reads_view
from openbill.services.models import Service
from openbill.support import actions, selectors
from openbill.support.files import download_response
from openbill.support.forms import ReplyForm, TicketForm
from openbill.support.models import Priority

from .access import client_required

TICKETS_PER_PAGE = 25


@client_required
@replica_reads_view
def ticket_list(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    page = page_of(selectors.client_tickets(client), TICKETS_PER_PAGE, request.GET.get("page"))
    return render(request, "clientarea/support/list.html", {"page": page, "tickets": page.object_list})


def _form_error(form: ReplyForm, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@client_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    services = Service.objects.for_client(client).exclude(status="deleted").order_by("-id")[:200]
    initial = {}
    if request.GET.get("service", "").isdigit():
        service = get_object_or_404(Service.objects.for_client(client), pk=int(request.GET["service"]))
        initial = {"service": service.pk, "subject": _("Question about %(name)s") % {"name": service.name}}
    form = TicketForm(request.POST or None, request.FILES or None, client=client, services=services, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = _open_ticket(request, client, form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your question was sent. We will answer here and by email."))
            return redirect("clientarea:support_ticket", pk=ticket.pk)
    return render(request, "clientarea/support/new.html", {"form": form}, status=400 if form.errors else 200)


def _open_ticket(request: HttpRequest, client: Any, data: dict[str, Any]) -> Any:
    return actions.open_ticket(
        client,
        subject=data["subject"],
        body=data["body"],
        department=data["department"],
        service=data["service"],
        priority=data["priority"] or Priority.NORMAL,
        files=data["attachments"],
        actor=Actor.client_of(request),
        now=timezone.now(),
    )


@client_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    ticket = get_object_or_404(selectors.client_tickets(client), pk=pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.client_reply(
                ticket,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                actor=Actor.client_of(request),
                now=timezone.now(),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect("clientarea:support_ticket", pk=ticket.pk)
    actions.mark_read(ticket, now=timezone.now())
    context = {"ticket": ticket, "thread": selectors.client_thread(ticket), "form": form}
    return render(request, "clientarea/support/detail.html", context, status=400 if form.errors else 200)


@client_required
@require_POST
def ticket_close(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    ticket = get_object_or_404(selectors.client_tickets(client), pk=pk)
    actions.close_ticket(ticket, actor=Actor.client_of(request), now=timezone.now())
    messages.success(request, _("The ticket is closed. Reply to it to open it again."))
    return redirect("clientarea:support_ticket", pk=ticket.pk)


@client_required
def attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    item = selectors.client_attachment(request.client, pk)  # type: ignore[attr-defined]
    if item is None:
        raise Http404
    return download_response(item)
