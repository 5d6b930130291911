"""Worker tasks of domains: fetching the registration data (a remote call, never in a request)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from .models import Domain


@task()
def refresh_whois(domain_id: int) -> str:
    from .actions import refresh_whois as fetch

    domain = Domain.objects.select_related("zone__module", "service__module").filter(pk=domain_id).first()
    if domain is None:
        return "gone"
    fetch(domain, now=timezone.now())
    return "done"


@task()
def check_delegation(domain_id: int) -> str:
    from .actions import check_delegation as run_check

    domain = Domain.objects.filter(pk=domain_id).first()
    if domain is None:
        return "gone"
    return run_check(domain, now=timezone.now()).delegation
