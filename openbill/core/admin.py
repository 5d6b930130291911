"""Admin for the plumbing: scheduler slots, idempotency records and notices are records of what
happened, so they are shown read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import IdempotencyRecord, Notice, SweepSlot


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A record that nobody edits by hand: no add, no change, no delete (the view stays)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SweepSlot)
class SweepSlotAdmin(ReadOnlyAdmin):
    list_display = ("sweep", "slot", "enqueued_at")
    list_filter = ("sweep",)
    search_fields = ("sweep",)
    date_hierarchy = "enqueued_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "scope", "endpoint", "key", "status_code")
    list_filter = ("endpoint", "status_code")
    search_fields = ("scope", "endpoint", "key")
    date_hierarchy = "created_at"


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "template", "key", "sent_at", "error")
    list_filter = ("template", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "template", "client__name", "client__email")
    list_select_related = ("client",)
    date_hierarchy = "created_at"
