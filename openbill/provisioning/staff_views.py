"""Staff work queues for provisioning (DESIGN §7): operations waiting for a person (manual work
and permanent failures) with retry / complete by hand / cancel; services waiting as Not
available with "try now" and "delete and refund"; capacity per module instance; a service's
staff actions (suspend / resume as administrator, delete)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.services import actions as services
from openbill.services.choices import SuspendReason
from openbill.services.models import Service

from . import capacity, staff
from .models import ProcessingModule, ProvisioningTask


def _do(request: HttpRequest, action: Any, *args: Any, done: str, **kwargs: Any) -> None:
    try:
        action(*args, actor=Actor.of_user(request.user), now=timezone.now(), **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@staff_member_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "provisioning/staff/queue.html",
        {"title": _("Operations waiting for staff"), "tasks": staff.staff_queue()[:200]},
    )


@staff_member_required
@require_POST
def task_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    task = get_object_or_404(ProvisioningTask, pk=pk)
    note = request.POST.get("note", "")[:2000]
    if verb == "retry":
        _do(request, staff.staff_retry, task, done=_("Queued again."))
    elif verb == "complete":
        _do(request, staff.staff_complete, task, note=note, done=_("Marked done."))
    elif verb == "cancel":
        _do(request, staff.staff_cancel, task, note=note, done=_("Cancelled."))
    else:
        messages.error(request, _("Unknown action."))
    return redirect(request.POST.get("next") or "staff:provisioning_queue")


@staff_member_required
def not_available(request: HttpRequest) -> HttpResponse:
    rows = list(staff.not_available_services()[:200])
    return render(
        request,
        "provisioning/staff/not_available.html",
        {"title": _("Services waiting for capacity (Not available)"), "rows": rows},
    )


@staff_member_required
@require_POST
def activate_now(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    _do(request, services.request_activation, service.pk, done=_("Activation started."))
    return redirect("staff:provisioning_not_available")


@staff_member_required
def capacity_page(request: HttpRequest) -> HttpResponse:
    modules = list(ProcessingModule.objects.order_by("-priority", "name"))
    return render(
        request,
        "provisioning/staff/capacity.html",
        {"title": _("Capacity of module instances"), "rows": capacity.usage_table(modules)},
    )


@staff_member_required
def service_page(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service.objects.select_related("client", "product_type", "module"), pk=pk)
    if request.method == "POST":
        _service_verb(request, service, request.POST.get("verb"))
        return redirect("staff:provisioning_service", service.pk)
    return render(
        request,
        "provisioning/staff/service.html",
        {
            "title": str(service),
            "service": service,
            "tasks": service.tasks.select_related("module").order_by("-pk")[:20],
            "events": service.events.order_by("-at", "-id")[:30],
        },
    )


def _service_verb(request: HttpRequest, service: Service, verb: str | None) -> None:
    """Staff's buttons on the service page: suspend, resume, delete (now or at the period's end,
    with or without the refund)."""
    if verb == "suspend":
        _do(request, services.suspend, service, reason=SuspendReason.ADMIN, done=_("Suspension requested."))
    elif verb == "resume":
        _do(request, services.resume, service, reason=SuspendReason.ADMIN, done=_("Suspension lifted."))
    elif verb == "delete":
        _do(
            request,
            services.delete_service,
            service,
            at_period_end=request.POST.get("when") == "period_end",
            refund=request.POST.get("refund") == "on",
            done=_("Deletion requested."),
        )
    else:
        messages.error(request, _("Unknown action."))
