"""Staff pages of payments, collected by openbill/staff/urls.py."""

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import staff_views as v

urlpatterns: list[URLPattern] = [
    path("payments/gateways/", v.gateways, name="payment_gateways"),
    path("payments/gateways/<int:provider_id>/", v.provider_gateways, name="payment_gateways_provider"),
]

STAFF_MENU = [("payment_gateways", _("Payment gateways (Stripe, PayPal keys)"))]
