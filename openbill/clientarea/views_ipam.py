"""A service's IP addresses tab: the list with reverse names, ordering one more IPv4 (the
prorated amount shown first, then confirmed), deleting an additional one (the credit shown
first), and editing each reverse name. The service is looked up among the client's own
services and the address among that service's: anything else is a 404."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.money import format_money
from openbill.core.replica import replica_reads_view
from openbill.ipam import actions, selectors
from openbill.ipam.models import Address, AddressState
from openbill.services.models import Service
from openbill.services.selectors import client_services

from .access import client_required


def _service(request: HttpRequest, pk: int) -> Service:
    client = request.client  # type: ignore[attr-defined]
    return get_object_or_404(client_services(client).select_related("tariff", "product_type"), pk=pk)


def _address(service: Service, pk: int) -> Address:
    return get_object_or_404(
        Address.objects.select_related("pool__dns_server", "service"), pk=pk, service=service, state=AddressState.ACTIVE
    )


def _quote_context(service: Service, quote: Any) -> dict[str, Any]:
    currency = service.client.currency
    return {
        "quote_total": format_money(quote.total, currency),
        "quote_total_raw": f"{quote.total:f}",
        "lines": [(line.description, format_money(line.amount, currency)) for line in quote.lines],
    }


def _expected(request: HttpRequest) -> Decimal | None:
    try:
        return Decimal(request.POST.get("expected_total", ""))
    except InvalidOperation:
        return None


@client_required
@replica_reads_view
def service_ips(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    addresses = selectors.service_addresses(service.pk)
    return render(
        request,
        "clientarea/ipam/ips.html",
        {
            "service": service,
            "tab": "ips",
            "addresses": addresses,
            "deletable": len(addresses) > 1,
            "can_order": actions.sells_additional_ipv4(service),
        },
    )


@client_required
@require_http_methods(["GET", "POST"])
def service_ip_order(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    now = timezone.now()
    if request.method == "POST":
        try:
            address = actions.order_additional(
                service,
                actor=Actor.client_of(request),
                now=now,
                request_key=request.POST.get("request_key", "")[:100],
                expected_total=_expected(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The address %(address)s is yours.") % {"address": address.address})
            return redirect("clientarea:service_ips", pk=service.pk)
    try:
        quote = actions.quote_additional(service, now=now, delta=1)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("clientarea:service_ips", pk=service.pk)
    context = {"service": service, "tab": "ips", "request_key": uuid.uuid4().hex, **_quote_context(service, quote)}
    return render(request, "clientarea/ipam/order.html", context)


@client_required
@require_http_methods(["GET", "POST"])
def service_ip_delete(request: HttpRequest, pk: int, address: int) -> HttpResponse:
    service = _service(request, pk)
    row = _address(service, address)
    now = timezone.now()
    if request.method == "POST":
        try:
            actions.delete_additional(row, actor=Actor.client_of(request), now=now)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The address %(address)s is deleted.") % {"address": row.address})
        return redirect("clientarea:service_ips", pk=service.pk)
    context: dict[str, Any] = {"service": service, "tab": "ips", "address": row}
    if row.version == 4 and not row.main and service.tariff.addons.filter(resource="ipv4").exists():
        try:
            context.update(_quote_context(service, actions.quote_additional(service, now=now, delta=-1)))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("clientarea:service_ips", pk=service.pk)
    return render(request, "clientarea/ipam/delete.html", context)


@client_required
@require_POST
def service_ip_ptr(request: HttpRequest, pk: int, address: int) -> HttpResponse:
    service = _service(request, pk)
    row = _address(service, address)
    try:
        actions.set_ptr(row, request.POST.get("ptr_name", "")[:300], actor=Actor.client_of(request), now=timezone.now())
    except DomainError as exc:
        messages.error(request, f"{row.address}: {exc.message}")
    else:
        messages.success(request, _("The reverse name of %(address)s is being written.") % {"address": row.address})
    return redirect("clientarea:service_ips", pk=service.pk)
