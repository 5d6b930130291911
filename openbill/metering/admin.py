"""Admin: provider API tokens (the token is shown once, at creation), usage and ratings read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import OverageRating, ProviderToken, UsageRecord


@admin.register(ProviderToken)
class ProviderTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "provider", "key_prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("provider",)
    fields = ("provider", "name", "key_prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_prefix", "created_at", "last_used_at")
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ProviderToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw, obj.key_prefix, obj.key_hash = ProviderToken.new_raw()
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            _("The token is %(token)s — copy it now: it is stored hashed and will not be shown again.")
            % {"token": raw},
        )

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = ("record_id", "service", "resource", "on", "quantity", "source", "created_at")
    list_filter = ("source",)
    search_fields = ("record_id",)
    raw_id_fields = ("service",)
    show_full_result_count = False


@admin.register(OverageRating)
class OverageRatingAdmin(ReadOnlyAdmin):
    list_display = (
        "service",
        "addon",
        "period_start",
        "usage",
        "overage",
        "cost_amount",
        "charged_amount",
        "over_maximum",
        "unpaid",
        "rated_at",
    )
    list_filter = ("over_maximum", "unpaid", "due")
    raw_id_fields = ("service",)
