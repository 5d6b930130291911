"""Staff pages of invoicing, collected by openbill/staff/urls.py."""

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import staff_views as v

urlpatterns: list[URLPattern] = [
    path("invoicing/documents/", v.documents, name="invoicing_documents"),
    path("invoicing/documents.csv", v.documents_csv, name="invoicing_documents_csv"),
    path("invoicing/documents/<int:pk>/pdf/", v.document_pdf, name="invoicing_document_pdf"),
    path("invoicing/tax-report/", v.tax_report, name="invoicing_tax_report"),
]

STAFF_MENU = [
    ("invoicing_documents", _("Invoices and credit notes")),
    ("invoicing_tax_report", _("Tax report (totals by country and rate)")),
]
