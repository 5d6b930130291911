"""The IP addresses app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

register(
    Template("address_service_deleted", _("%(address)s: service deleted")),
    Template("reverse_name", "%(address)s → %(name)s"),
)
