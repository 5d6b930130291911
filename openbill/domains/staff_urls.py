"""Staff pages of domains, collected by openbill/staff/urls.py."""

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import staff_views as v

urlpatterns: list[URLPattern] = [
    path("domains/zones/", v.zones, name="domain_zones"),
    path("domains/zones/<int:pk>/", v.zone_detail, name="domain_zone"),
]

STAFF_MENU = [("domain_zones", _("Domain zones and their prices"))]
