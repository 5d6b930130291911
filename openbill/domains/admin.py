"""Admin for domains: staff manage zones (registrar module, prices, availability source) here;
contacts and domains are shown for reference."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .actions import set_price
from .models import Domain, DomainContact, Zone, ZonePrice


class ZonePriceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ZonePrice
    extra = 0


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin[Zone]):
    list_display = [
        "__str__",
        "provider",
        "module",
        "availability",
        "auth_code_required",
        "grace_days",
        "redemption_days",
        "restore_price",
        "active",
    ]
    list_filter = ["provider", "availability", "active"]
    inlines = [ZonePriceInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for row in ZonePrice.objects.filter(zone=form.instance, action="renew"):
            set_price(form.instance, row.action, row.years, row.amount)  # renewal prices → the tariff


@admin.register(DomainContact)
class DomainContactAdmin(admin.ModelAdmin[DomainContact]):
    list_display = ["name", "organisation", "kind", "client", "email", "country"]
    list_filter = ["kind"]
    search_fields = ["name", "organisation", "email"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin[Domain]):
    list_display = ["__str__", "zone", "action", "service", "phase", "grace_until", "redemption_until", "verification"]
    list_filter = ["zone", "phase", "verification"]
    search_fields = ["name"]
    readonly_fields = ["service", "whois_text", "whois_fetched_at"]
