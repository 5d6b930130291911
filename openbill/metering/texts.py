"""The metering app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

register(
    Template("overage_day", _("Overage: %(addon)s, %(period)s"), dates=("period",)),
    Template("overage_month", _("Overage: %(addon)s, %(period)s"), months=("period",)),
    Template("overage_limit", _("usage over the limit")),
    Template("overage_unpaid", _("overage not paid")),
)
