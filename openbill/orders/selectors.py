"""Read queries of orders."""

from __future__ import annotations

from django.db.models import Max, Q, QuerySet

from openbill.clients.models import Client
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.selectors import client_services

from .models import LineKind


def paid_services(client: Client) -> QuerySet[Service]:
    """The services of every order the client has paid (the Orders page's "Paid services"),
    the most recently paid first; deleted services are left out."""
    paid_line = Q(order_lines__kind=LineKind.NEW, order_lines__paid_at__isnull=False)
    return (
        client_services(client)
        .filter(paid_line)
        .exclude(status=Status.DELETED)
        .annotate(last_paid_at=Max("order_lines__paid_at", filter=paid_line))
        .order_by("-last_paid_at", "-id")
    )
