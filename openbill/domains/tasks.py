"""Worker tasks of domains: fetching the registration data (a remote call, never in a request)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

from . import actions
from .models import Domain


@task()
def refresh_whois(domain_id: int) -> str:
    domain = Domain.objects.select_related("zone__module", "service__module").filter(pk=domain_id).first()
    if domain is None:
        return "gone"
    actions.refresh_whois(domain, now=timezone.now())
    return "done"


@task()
def check_delegation(domain_id: int) -> str:
    domain = Domain.objects.filter(pk=domain_id).first()
    if domain is None:
        return "gone"
    return actions.check_delegation(domain, now=timezone.now()).delegation


@task()
def send_documents(domain_id: int) -> str:
    """Mail the client's verification documents to the zone's registrar address."""
    domain = Domain.objects.select_related("zone", "service__client", "owner").filter(pk=domain_id).first()
    if domain is None or not domain.zone.verification_email:
        return "no address"
    body = (
        f"Domain: {domain.name} ({domain.unicode_name})\n"
        f"Owner: {domain.owner}\nClient: {domain.service.client.name} <{domain.service.client.email}>\n"
    )
    mail = EmailMessage(
        subject=f"Documents for {domain.name}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[domain.zone.verification_email],
    )
    for document in domain.documents.all():
        with document.file.open("rb") as handle:
            mail.attach(document.name, handle.read(), document.content_type)
    mail.send()
    return "sent"
