"""The metering app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

register(
    # ``addon``: the add-on's name as a fact (catalog.texts.name_fact, a list of one); a name
    # stored as a string (lines written before) is shown as it is.
    Template("overage_day", _("Overage: %(addon)s, %(period)s"), dates=("period",), texts=("addon",)),
    Template("overage_month", _("Overage: %(addon)s, %(period)s"), months=("period",), texts=("addon",)),
    Template("overage_limit", _("usage over the limit")),
    Template("overage_unpaid", _("overage not paid")),
)
