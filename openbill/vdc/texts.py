"""The virtual data center app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

from .models import MachineOperation

register(
    Template("machine_created", _("Machine %(name)s created")),
    Template("machine_address_released", _("%(address)s: machine %(name)s deleted")),
    Template("machine_operation", _("Machine %(name)s: %(operation)s"), choices={"operation": MachineOperation}),
)
