"""The domains app's stored texts (see openbill.core.texts)."""

from django.utils.translation import ngettext_lazy

from openbill.core.texts import Template, register

register(
    Template(
        "domain_registration",
        ngettext_lazy("%(name)s: registration, %(years)s year", "%(name)s: registration, %(years)s years", "years"),
    ),
    Template(
        "domain_transfer",
        ngettext_lazy("%(name)s: transfer, %(years)s year", "%(name)s: transfer, %(years)s years", "years"),
    ),
)
