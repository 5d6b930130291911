"""The manual module: every operation is a person's work, done from the staff queue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Module, register


@register
class ManualModule(Module):
    name = "manual"
    label = str(_("Manual (staff do the work)"))
