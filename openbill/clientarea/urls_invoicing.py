"""Client-area URLs of invoices, credit notes, proformas and the billing profile."""

from django.urls import URLPattern, path

from . import views_invoicing as v

urlpatterns: list[URLPattern] = [
    path("finances/invoices/", v.invoice_list, name="invoices"),
    path("finances/invoices/<int:pk>/pdf/", v.invoice_pdf, name="invoice_pdf"),
    path("orders/<int:pk>/proforma/", v.order_proforma, name="order_proforma"),
    path("profile/billing/", v.billing_profile, name="billing_profile"),
]
