"""The domains app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from openbill.core.texts import Template, register

from .models import Role

register(
    Template("domain_contact", _("%(role)s: %(contact)s"), choices={"role": Role}),
    Template("transfer_pending", _("Transfer requested; the registry has it pending.")),
    Template("transfer_completed", _("Transfer completed at the registry.")),
    Template("transfer_refused", _("The current registrar refused the transfer; the money was returned.")),
    Template("registry_charged_again", _("%(name)s: charged again, the registry has done it")),
    Template("registry_refund", _("%(name)s: refund, the registry refused it")),
    Template("domain_restore", _("%(name)s: restore from redemption")),
    Template("domain_restored", _("Restored at the registry; renewed to the registry's new expiry.")),
    Template("domain_grace", _("Expired: renewable at the renewal price until %(date)s."), dates=("date",)),
    Template("domain_redemption", _("Deleted at the registry: restorable until %(date)s."), dates=("date",)),
    Template(
        "domain_registration",
        ngettext_lazy("%(name)s: registration, %(years)s year", "%(name)s: registration, %(years)s years", "years"),
    ),
    Template(
        "domain_transfer",
        ngettext_lazy("%(name)s: transfer, %(years)s year", "%(name)s: transfer, %(years)s years", "years"),
    ),
)
