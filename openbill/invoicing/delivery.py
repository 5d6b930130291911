"""An issued document's PDF and its mail (run by ``tasks.deliver_document_task`` once the
issuing transaction committed, and by the lost-delivery sweep)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from openbill.core.models import Notice

from .models import Document, DocumentPdf
from .pdf import render_document


def store_pdf(document: Document, *, now: datetime) -> DocumentPdf:
    """Render the document once and keep the bytes (a second call returns the first bytes)."""
    existing = DocumentPdf.objects.filter(document=document).first()
    if existing is not None:
        return existing
    content = render_document(document)
    try:
        with transaction.atomic():
            return DocumentPdf.objects.create(
                document=document, content=content, sha256=hashlib.sha256(content).hexdigest(), created_at=now
            )
    except IntegrityError:
        return DocumentPdf.objects.get(document=document)


def deliver_document(document_id: int, *, now: datetime) -> str:
    """Render and store the PDF, then mail it to the client (once: a Notice-like key)."""
    document = Document.objects.select_related("client__provider").get(pk=document_id)
    pdf = store_pdf(document, now=now)
    key = f"document_mailed:{document.pk}"
    try:
        with transaction.atomic():
            Notice.objects.create(
                key=key, client=document.client, template="document_issued", context={}, created_at=now
            )
    except IntegrityError:
        return "already mailed"
    with translation.override(document.language):
        context = {
            "document": document,
            "client_name": document.client.name,
            "provider_name": document.client.provider.name,
        }
        subject = " ".join(render_to_string("emails/document_issued.subject.txt", context, using="text").split())
        body = render_to_string("emails/document_issued.txt", context, using="text")
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [document.client.email])
    message.attach(f"{document.number}.pdf", bytes(pdf.content), "application/pdf")
    message.send()
    Notice.objects.filter(key=key).update(sent_at=now)
    return "mailed"
