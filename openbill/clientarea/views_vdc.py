"""A virtual data center's Virtual servers tab: its machines, the pool, and a new machine.

The VDC is looked up through the client's own services and each machine through the client's
own VDCs, so another client's id is a 404. Each view calls one vdc action (the API calls the
same ones); a refused request changes nothing and says why.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.replica import replica_reads_view
from openbill.ipam import actions as ipam
from openbill.vdc import actions, selectors
from openbill.vdc.forms import MachineForm
from openbill.vdc.models import Machine

from .access import client_required
from .views import _service_context


def _machine(request: HttpRequest, pk: int) -> Machine:
    client = request.client  # type: ignore[attr-defined]
    return get_object_or_404(
        Machine.objects.filter(service__in=selectors.client_vdcs(client))
        .exclude(status="deleted")
        .select_related("template", "service"),
        pk=pk,
    )


@client_required
@replica_reads_view
def service_machines(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    vdc = get_object_or_404(selectors.client_vdcs(client), pk=pk)
    templates = selectors.fitting_templates(vdc)
    form = MachineForm(request.POST or None, templates=templates, public_addresses=ipam.serves(vdc, 4))
    if request.method == "POST" and form.is_valid():
        try:
            machine = actions.create_machine(
                vdc, actor=Actor.client_of(request), now=timezone.now(), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The machine %(name)s is being created.") % {"name": machine.name})
            return redirect("clientarea:service_machines", pk=vdc.pk)
    context = _service_context(request, pk)
    context.update(
        tab="machines",
        machines=list(selectors.machines_of(vdc).order_by("id")),
        pool=selectors.pool_lines(vdc),
        form=form,
        can_create=templates.exists(),
    )
    return render(request, "clientarea/services/detail.html", context, status=400 if form.errors else 200)


def _act(request: HttpRequest, pk: int, verb: str, done: str) -> HttpResponse:
    machine = _machine(request, pk)
    try:
        getattr(actions, f"{verb}_machine")(machine, actor=Actor.client_of(request), now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"name": machine.name})
    return redirect("clientarea:service_machines", pk=machine.service_id)


@client_required
@require_POST
def machine_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "start", _("The machine %(name)s is starting."))


@client_required
@require_POST
def machine_stop(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "stop", _("The machine %(name)s is stopping."))


@client_required
@require_POST
def machine_reboot(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "reboot", _("The machine %(name)s is rebooting."))


@client_required
@require_POST
def machine_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "delete", _("The machine %(name)s is being deleted."))


@client_required
@replica_reads_view
def machine_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The machine's status badge; while an operation runs, htmx fetches it again."""
    machine = _machine(request, pk)
    response = render(request, "clientarea/vdc/_machine_status.html", {"machine": machine})
    if not machine.operation and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # done: reload so that the row's buttons follow
    return response
