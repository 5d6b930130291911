"""Admin for ipam: DNS servers (the TSIG secret stored encrypted, never shown), pools (their
use in the list), and addresses (read-only: they change through allocation and release)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from openbill.core.admin import ReadOnlyAdmin
from openbill.core.crypto import MASK

from .models import Address, DnsServer, Pool, ReverseDnsPolicy


class DnsServerForm(forms.ModelForm):  # type: ignore[type-arg]
    tsig_secret = forms.CharField(
        label=_("TSIG secret"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Base64, as in the server's key. Stored encrypted; shown masked; leave the mask to keep."),
    )

    class Meta:
        model = DnsServer
        fields = [
            "provider",
            "name",
            "host",
            "port",
            "tsig_key_name",
            "tsig_algorithm",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.tsig_secret_encrypted:
            self.initial["tsig_secret"] = MASK

    def save(self, commit: bool = True) -> DnsServer:
        instance: DnsServer = super().save(commit=False)
        secret = self.cleaned_data.get("tsig_secret") or ""
        if secret != MASK:
            instance.set_secret(secret)
        if commit:
            instance.save()
        return instance


@admin.register(DnsServer)
class DnsServerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = DnsServerForm
    list_display = ("name", "provider", "host", "port", "tsig_key_name")


@admin.register(ReverseDnsPolicy)
class ReverseDnsPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("provider", "require_forward", "resolver")


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "provider", "location", "prefix", "gateway", "reverse_zone", "use", "enabled")
    list_filter = ("provider", "version", "enabled", "location")
    search_fields = ("name", "prefix", "location")
    filter_horizontal = ("modules", "tariffs")
    fields = (
        "provider",
        "name",
        "location",
        "prefix",
        "gateway",
        "excluded",
        "modules",
        "tariffs",
        "reverse_zone",
        "dns_server",
        "enabled",
    )

    @admin.display(description=_("use"))
    def use(self, pool: Pool) -> str:
        used = pool.addresses.count()
        size = pool.size()
        return f"{used} / {size} ({100 * used / size if size else 100:.1f} %)"


@admin.register(Address)
class AddressAdmin(ReadOnlyAdmin):
    list_display = ("address", "pool", "service", "main", "state", "ptr_name", "ptr_state", "available_at")
    list_filter = ("state", "version", "ptr_state", "pool")
    search_fields = ("address", "ptr_name", "service__name", "service__client__name")
    list_select_related = ("pool", "service")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Address]:
        return super().get_queryset(request).select_related("pool", "service")
