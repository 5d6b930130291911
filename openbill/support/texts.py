"""The support app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

register(
    Template("abuse_over_limit", _("Abuse score over the limit")),
    Template("abuse_resolved", _("Abuse resolved")),
    Template("abuse_deadline", _("Abuse report not corrected by its deadline")),
)
