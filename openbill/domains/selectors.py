"""Reading domains: every lookup goes through the client, so another client's is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Domain, DomainContact


def client_contacts(client: Any) -> QuerySet[DomainContact]:
    return DomainContact.objects.filter(client=client)


def client_domains(client: Any) -> QuerySet[Domain]:
    return (
        Domain.objects.filter(service__client=client)
        .exclude(service__status="deleted")
        .select_related("service", "zone", "owner", "admin", "tech", "billing")
    )
