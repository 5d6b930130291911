"""Orders in the admin: records of what was ordered and paid (read-only)."""

from __future__ import annotations

from django.contrib import admin

from openbill.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Order, OrderLine


class LineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("service", "kind", "period", "description", "amount", "paid_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "client", "status", "total_amount", "currency", "paid_at")
    list_filter = ("status",)
    search_fields = ("=id", "=client__id", "client__name", "client__email")
    list_select_related = ("client",)
    ordering = ("-id",)
    inlines = (LineInline,)


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "client", "service", "kind", "description", "amount", "paid_at")
    list_filter = ("kind",)
    search_fields = ("=id", "=client__id", "=service__id", "client__name")
    list_select_related = ("client", "service")
    ordering = ("-id",)
