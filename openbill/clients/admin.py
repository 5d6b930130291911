"""Admin for providers and client accounts. A balance is the sum of the ledger: read-only here."""

from __future__ import annotations

from django.contrib import admin

from openbill.accounts.models import Membership

from .models import Client, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "currency", "time_zone", "signup_enabled", "require_client_2fa", "support_email")
    list_filter = ("currency", "signup_enabled", "require_client_2fa")
    search_fields = ("name", "support_email")


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "name", "email", "provider", "balance_amount", "credit_limit", "abuse_score", "created_at")
    list_display_links = ("id", "name")
    list_filter = ("provider",)
    search_fields = ("=id", "name", "email", "phone")
    list_select_related = ("provider",)
    # The balance moves only with a ledger entry (billing.actions.post_entry).
    readonly_fields = ("balance_amount", "created_at")
    fields = (
        "provider",
        "name",
        "email",
        "phone",
        "credit_limit",
        "balance_amount",
        "abuse_score",
        "created_at",
    )
    inlines = (MembershipInline,)
