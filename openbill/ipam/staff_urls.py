"""Staff pages of ipam, collected by openbill/staff/urls.py."""

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import staff_views as v

urlpatterns: list[URLPattern] = [
    path("ipam/pools/", v.pools, name="ipam_pools"),
    path("ipam/pools/<int:pk>/", v.pool_detail, name="ipam_pool"),
]

STAFF_MENU = [("ipam_pools", _("IP pools and their use"))]
