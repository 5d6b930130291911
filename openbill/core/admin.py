"""Admin for the plumbing: scheduler slots, idempotency records and notices are records of what
happened, so they are shown read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from openbill.clients.models import Provider

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


def choices_filter(field: str, title: Any, choices: list[tuple[str, Any]]) -> type[admin.SimpleListFilter]:
    """A list filter with fixed choices. Django's default for a plain CharField lists its values
    with SELECT DISTINCT over the whole table, a full scan on the ledger or the history."""

    class FixedChoicesFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
            return choices

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    FixedChoicesFilter.title = title
    return FixedChoicesFilter


def currency_filter() -> type[admin.SimpleListFilter]:
    class CurrencyFilter(admin.SimpleListFilter):
        title = _("currency")
        parameter_name = "currency"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
            currencies = sorted(set(Provider.objects.values_list("currency", flat=True)))
            return [(c, c) for c in currencies]

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            value = self.value()
            return queryset.filter(currency=value) if value else queryset

    return CurrencyFilter


@admin.register(SweepSlot)
class SweepSlotAdmin(ReadOnlyAdmin):
    list_display = ("sweep", "slot", "enqueued_at")
    search_fields = ("sweep",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "scope", "endpoint", "key", "status_code")
    search_fields = ("scope", "endpoint", "key")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "template", "key", "sent_at", "error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    ordering = ("-id",)
    search_fields = ("key", "template", "client__name", "client__email")
    list_select_related = ("client",)
