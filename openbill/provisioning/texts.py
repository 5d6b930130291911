"""The provisioning app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

register(
    Template("completed_by_staff", _("completed by staff")),
    Template("activation_cancelled_by_staff", _("activation cancelled by staff")),
)
