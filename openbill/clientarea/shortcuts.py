"""What the client area's ordering, edit and finances pages share: the caller's client and
service, the refusal of an action its state does not allow, and the top-up link."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode

from openbill.orders.models import Order
from openbill.services.models import Service
from openbill.services.rules import allows, refusal
from openbill.services.selectors import client_services


def client_of(request: HttpRequest) -> Any:
    return request.client  # type: ignore[attr-defined]


def own_service(request: HttpRequest, pk: int) -> Service:
    """One of the caller's services (another client's id is a 404)."""
    return get_object_or_404(client_services(client_of(request)), pk=pk)


def refused(request: HttpRequest, service: Service, action: str) -> HttpResponse | None:
    """Back to the service page with the reason, when its state does not allow ``action``."""
    if allows(service, action):
        return None
    messages.error(request, refusal(service))
    return redirect("clientarea:service", pk=service.pk)


def topup_url(amount: Any = None, order: Order | None = None) -> str:
    query = {}
    if amount:
        query["amount"] = str(amount)
    if order is not None:
        query["order"] = str(order.pk)
    return reverse("clientarea:topup") + (f"?{urlencode(query)}" if query else "")
