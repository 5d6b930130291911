"""Staff pages: documents filtered by period, country, rate and series; their CSV for the
accountant; the tax report per period."""

from __future__ import annotations

import csv

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from . import selectors
from .http import pdf_response
from .models import Document, Series


def _context(request: HttpRequest, title: str) -> dict[str, object]:
    return {
        "title": title,
        "query": request.GET,
        "series": Series.objects.select_related("provider").order_by("provider__name", "kind", "pk"),
    }


@staff_member_required
def documents(request: HttpRequest) -> HttpResponse:
    chosen = selectors.DocumentFilter.parse(request.GET)
    page = Paginator(selectors.staff_documents(chosen), 50).get_page(request.GET.get("page"))
    return render(
        request, "invoicing/staff/documents.html", {**_context(request, _("Invoices and credit notes")), "page": page}
    )


@staff_member_required
def documents_csv(request: HttpRequest) -> HttpResponse:
    chosen = selectors.DocumentFilter.parse(request.GET)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="documents.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["number", "kind", "issued_on", "supplied_on", "provider", "seller_tax_id", "buyer", "buyer_country",
         "buyer_vat_number", "currency", "net", "tax_rate", "tax_name", "tax_scheme", "tax", "total", "corrects",
         "record_hash"]
    )  # fmt: skip
    for doc in selectors.staff_documents(chosen).iterator(chunk_size=2000):
        writer.writerow(
            [doc.number, doc.kind, doc.issued_on.isoformat(), doc.supplied_on.isoformat(), doc.provider.name,
             doc.seller.get("tax_id", ""), doc.buyer.get("legal_name", ""), doc.buyer.get("country", ""),
             doc.buyer.get("vat_number", ""), doc.currency, f"{doc.net_amount:.2f}", f"{doc.tax_rate:f}",
             doc.tax_name, doc.tax_scheme, f"{doc.tax_amount:.2f}", f"{doc.total_amount:.2f}",
             doc.corrects.number if doc.corrects else "", doc.record_hash]
        )  # fmt: skip
    return response


@staff_member_required
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return pdf_response(get_object_or_404(Document, pk=pk))


@staff_member_required
def tax_report(request: HttpRequest) -> HttpResponse:
    chosen = selectors.DocumentFilter.parse(request.GET)
    return render(
        request,
        "invoicing/staff/tax_report.html",
        {**_context(request, _("Tax report (totals by country and rate)")), "rows": selectors.tax_report(chosen)},
    )
