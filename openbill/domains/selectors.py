"""Reading domains: every lookup goes through the client, so another client's is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Domain, DomainContact, Phase, Zone


def client_contacts(client: Any) -> QuerySet[DomainContact]:
    return DomainContact.objects.filter(client=client)


def client_domains(client: Any) -> QuerySet[Domain]:
    return (
        Domain.objects.filter(service__client=client)
        .exclude(service__status="deleted")
        .select_related("service", "zone", "owner", "admin", "tech", "billing")
    )


def zones_with_use() -> QuerySet[Zone]:
    """Every zone with its registrar, tariff and how many live domains it has."""
    return (
        Zone.objects.select_related("provider", "module", "tariff")
        .prefetch_related("prices")
        .annotate(live=Count("domains", filter=~Q(domains__service__status="deleted")))
        .order_by("provider__name", "name")
    )


def zone_counts(zone: Zone) -> dict[str, int]:
    """The zone's domains by the service's status."""
    rows = Domain.objects.filter(zone=zone).values_list("service__status").annotate(n=Count("pk"))
    return {status: n for status, n in rows}


def zone_phase_counts(zone: Zone) -> dict[str, int]:
    """The zone's live domains past their expiry, by phase (grace, redemption), labelled."""
    rows = (
        Domain.objects.filter(zone=zone)
        .exclude(phase=Phase.NONE)
        .exclude(service__status="deleted")
        .values_list("phase")
        .annotate(n=Count("pk"))
    )
    return {str(Phase(phase).label): n for phase, n in rows}
