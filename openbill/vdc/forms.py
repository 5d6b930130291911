"""The client area's form for a new machine: only templates that fit what is left are offered."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MachineTemplate


class MachineForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=63,
        help_text=_("Lowercase letters, digits and hyphens."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "pattern": "[a-z0-9]([a-z0-9-]*[a-z0-9])?"}),
    )
    template = forms.ModelChoiceField(label=_("Template"), queryset=MachineTemplate.objects.none())
    cpu = forms.IntegerField(label=_("CPU cores"), min_value=1, max_value=1024, initial=1)
    ram = forms.IntegerField(label=_("RAM, GiB"), min_value=1, max_value=1024, initial=1)
    disk = forms.IntegerField(label=_("Disk, GiB"), min_value=1, max_value=1024, initial=10)
    public_ipv4 = forms.BooleanField(
        label=_("Public IPv4 address"),
        required=False,
        initial=True,
        help_text=_("One of the data center's public addresses."),
    )

    def __init__(self, *args: Any, templates: Any, public_addresses: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not public_addresses:  # no pool of the provider serves the data center
            del self.fields["public_ipv4"]
        field = self.fields["template"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = templates

    def clean(self) -> dict[str, Any]:
        """The arguments of ``vdc.actions.create_machine``: no public address where none is offered."""
        data = super().clean() or {}
        data["public_ipv4"] = bool(data.get("public_ipv4"))
        return data
