"""Admin for the ledger and charges: read-only. Nothing updates or deletes an entry; a
correction is a new entry (reliability.md, invariant 5)."""

from __future__ import annotations

from django.contrib import admin

from openbill.core.admin import ReadOnlyAdmin, currency_filter

from .models import Expense, LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "kind", "amount", "currency", "balance_after", "description", "service")
    list_filter = ("kind", currency_filter())
    search_fields = ("=client__id", "client__name", "client__email", "key", "description_kind")
    list_select_related = ("client", "service")
    show_full_result_count = False
    ordering = ("-id",)  # newest first through the primary key, not a sort of the whole ledger


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "service", "kind", "amount", "currency", "period_start", "period_end")
    list_filter = ("kind", currency_filter())
    search_fields = ("=client__id", "=service__id", "client__name", "service__name", "key")
    list_select_related = ("client", "service")
    show_full_result_count = False
    ordering = ("-id",)  # newest first through the primary key, not a sort of the whole ledger
