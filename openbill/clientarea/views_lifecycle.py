"""The client's lifecycle actions in the client area: suspend, resume, reboot, delete (per the
product type's policy, with a confirmation page that says when and what is refunded), keep a
service scheduled for deletion, and download an SSL certificate.

Each view resolves the service through the client's own services (another client's id is a
404), calls one services action (the API calls the same ones), and returns to the service page
with a message; a refused action changes nothing and says why.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.money import format_money
from openbill.core.timeutil import local_date
from openbill.provisioning.models import Certificate
from openbill.services import actions
from openbill.services.choices import SuspendReason
from openbill.services.models import Service
from openbill.services.rules import Action, allows, refusal

from .access import client_required


def _service(request: HttpRequest, pk: int) -> Service:
    client = request.client  # type: ignore[attr-defined]
    return get_object_or_404(
        Service.objects.for_client(client).select_related("product_type", "client__provider"), pk=pk
    )


def _back(service: Service) -> HttpResponse:
    return redirect("clientarea:service", service.pk)


def _run(request: HttpRequest, service: Service, action: Any, done: str, **kwargs: Any) -> HttpResponse:
    try:
        action(service, actor=Actor.client_of(request), now=timezone.now(), **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(service)


def _confirm(request: HttpRequest, service: Service, action: str) -> HttpResponse:
    """GET of a lifecycle action: what it will do, and a button that does it (POST)."""
    if not allows(service, action):
        messages.error(request, refusal(service))
        return _back(service)
    paid_until = local_date(service.expires_at, service.client.provider.tz) if service.expires_at else None
    return render(
        request, "clientarea/lifecycle/confirm.html", {"service": service, "action": action, "paid_until": paid_until}
    )


@client_required
@require_http_methods(["GET", "POST"])
def service_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what suspending does, to confirm; POST: suspend."""
    service = _service(request, pk)
    if request.method == "GET":
        return _confirm(request, service, Action.SUSPEND)
    return _run(
        request,
        service,
        actions.suspend,
        _("Suspension requested; the service stops once the server confirms."),
        reason=SuspendReason.CLIENT,
    )


@client_required
@require_POST
def service_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        _service(request, pk),
        actions.resume,
        _("Your suspension is lifted; the service resumes once nothing else holds it."),
        reason=SuspendReason.CLIENT,
    )


@client_required
@require_http_methods(["GET", "POST"])
def service_reboot(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what rebooting does, to confirm; POST: reboot."""
    service = _service(request, pk)
    if request.method == "GET":
        return _confirm(request, service, Action.REBOOT)
    return _run(request, service, actions.reboot, _("Reboot requested."))


def deletion_terms(service: Service) -> dict[str, Any]:
    """What deleting means for this service now (services.actions.deletion_terms), for the page."""
    terms = actions.deletion_terms(service, now=timezone.now())
    return {
        "allowed": terms.allowed,
        "at_period_end": terms.at_period_end,
        "date": local_date(terms.ends_at, service.client.provider.tz) if terms.ends_at else None,
        "refund": format_money(terms.refund, service.client.currency) if terms.refund else "",
        "undelivered": terms.undelivered,
    }


@client_required
def service_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page with the policy's terms; POST: delete."""
    service = _service(request, pk)
    if not allows(service, Action.DELETE):
        messages.error(request, refusal(service))
        return _back(service)
    terms = deletion_terms(service)
    if request.method == "POST":
        if service.delete_at is not None and terms["at_period_end"]:
            done = _("The service is already scheduled for deletion.")
        elif terms["at_period_end"]:
            done = _("The service will be deleted at the end of its paid period, on %(date)s.") % {
                "date": terms["date"]
            }
        else:
            done = _("Deletion requested.")
        return _run(request, service, actions.delete_service, done)
    return render(request, "clientarea/lifecycle/delete.html", {"service": service, "terms": terms})


@client_required
@require_POST
def service_cancel_deletion(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request, _service(request, pk), actions.cancel_scheduled_deletion, _("The service will not be deleted.")
    )


CERTIFICATE_PARTS = {
    "certificate": ("certificate.pem", lambda c: c.certificate_pem),
    "chain": ("chain.pem", lambda c: c.chain_pem),
    "fullchain": ("fullchain.pem", lambda c: c.certificate_pem + c.chain_pem),
    "key": ("privkey.pem", lambda c: c.private_key_pem()),
}


@client_required
@require_GET
def service_certificate(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """Download the issued certificate, its chain, both, or the key Openbill generated."""
    service = _service(request, pk)
    certificate = Certificate.objects.filter(service=service).first()
    if certificate is None or part not in CERTIFICATE_PARTS:
        raise Http404
    filename, read = CERTIFICATE_PARTS[part]
    body = read(certificate)
    if not body:
        raise Http404
    response = HttpResponse(body, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{certificate.domain}-{filename}"'
    response["Cache-Control"] = "no-store"
    return response
