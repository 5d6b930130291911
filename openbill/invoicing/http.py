"""The one way a document's PDF is served, to the client area, the API and staff."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

from .delivery import store_pdf
from .models import Document


def pdf_response(document: Document) -> HttpResponse:
    """The bytes kept at issue (rendered now if the delivery task has not run yet)."""
    pdf = store_pdf(document, now=timezone.now())
    response = HttpResponse(bytes(pdf.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    response["X-Content-SHA256"] = pdf.sha256
    return response
