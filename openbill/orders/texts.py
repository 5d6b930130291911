"""The orders app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register
from openbill.core.timeutil import Period

register(
    Template("order_line", _("%(tariff)s, %(period)s"), choices={"period": Period}),
    Template("setup_fee", _("%(name)s: setup fee")),
    Template("first_period", _("%(name)s: first period (%(period)s)"), choices={"period": Period}),
    Template("change_line", _("%(name)s: change of tariff or add-ons")),
    Template("change_reversed", _("%(name)s: change cancelled, reversed")),
    Template("tariff_unused", _("%(name)s: unused part of tariff %(tariff)s")),
    Template("tariff_rest", _("%(name)s: tariff %(tariff)s for the rest of the paid period")),
    Template("addons_added", _("%(name)s: add-ons added for the rest of the paid period")),
    Template("addons_removed", _("%(name)s: unused part of removed add-ons")),
    Template("paid_by_order", _("order #%(order)s")),
    Template("changed", _("%(details)s; charged %(amount)s"), lists=("details",), money=("amount",)),
    Template("auto_renew_on", _("auto-renewal on")),
    Template("auto_renew_off", _("auto-renewal off")),
    Template("renewal_period", _("renewal period: %(period)s"), choices={"period": Period}),
    Template("settings", "%(items)s", texts=("items",)),
)
