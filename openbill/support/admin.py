"""Admin for support: departments and the provider's abuse limit are edited here; tickets and
reports are worked in /staff/support/ (the admin shows them read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AbuseReport, Department, SupportSettings, Ticket


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["name", "provider", "email", "is_abuse", "position"]
    list_filter = ["provider"]


@admin.register(SupportSettings)
class SupportSettingsAdmin(admin.ModelAdmin[SupportSettings]):
    list_display = ["provider", "abuse_limit"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "client", "department", "status", "priority", "last_message_at"]
    list_filter = ["status", "priority", "department"]
    search_fields = ["subject", "client__name", "client__email"]


@admin.register(AbuseReport)
class AbuseReportAdmin(ReadOnlyAdmin):
    list_display = ["id", "client", "score", "action", "deadline", "resolved_at"]
    list_filter = ["action"]
