"""Django app configuration of virtual data centers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VdcConfig(AppConfig):
    name = "openbill.vdc"
    label = "vdc"
    verbose_name = _("Virtual data centers")

    def ready(self) -> None:
        # The VDC's processing module registers itself with the module registry on import: at
        # start-up, in Django's hook for it, once every app is loaded.
        from . import module  # noqa: F401
