"""Django app configuration of IP addresses."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IpamConfig(AppConfig):
    name = "openbill.ipam"
    label = "ipam"
    verbose_name = _("IP addresses")
