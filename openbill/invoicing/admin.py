"""Staff keep the seller's details, tax rules and series here; documents are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from openbill.core.admin import ReadOnlyAdmin

from .models import BillingProfile, Document, PromoCode, SellerProfile, Series, TaxRule


@admin.register(SellerProfile)
class SellerProfileAdmin(admin.ModelAdmin[SellerProfile]):
    list_display = ["legal_name", "provider", "country", "tax_id", "prices_include_tax", "oss_registered"]


@admin.register(TaxRule)
class TaxRuleAdmin(admin.ModelAdmin[TaxRule]):
    list_display = ["provider", "country", "region", "buyer_kind", "rate", "name", "valid_from"]
    list_filter = ["provider", "country"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin[Series]):
    list_display = ["provider", "kind", "number_format", "yearly", "active"]

    def get_readonly_fields(self, request: HttpRequest, obj: Series | None = None) -> Any:
        # A series in use keeps its format: its numbers must stay comparable (a new series instead).
        if obj is not None and obj.documents.exists():
            return ["provider", "kind", "number_format", "yearly"]
        return []


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin[BillingProfile]):
    list_display = ["legal_name", "client", "kind", "country", "vat_number", "vat_status", "postpaid_since"]
    list_filter = ["kind", "vat_status", "country", ("postpaid_since", admin.EmptyFieldListFilter)]
    readonly_fields = ["vat_number", "vat_status", "vat_checked_at", "vat_consultation", "vat_answer"]
    search_fields = ["legal_name", "vat_number", "client__name"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Issued documents are never edited: a correction is a credit note."""

    list_display = ["number", "kind", "issued_on", "client", "total_amount", "currency", "tax_rate"]
    list_filter = ["kind", "provider", "tax_scheme"]
    search_fields = ["number", "client__name"]


@admin.register(PromoCode)
class PromoCodeAdmin(admin.ModelAdmin[PromoCode]):
    list_display = ["code", "provider", "kind", "value", "scope", "valid_from", "valid_until", "max_uses", "used"]
    list_filter = ["provider", "kind", "scope"]
    search_fields = ["code"]
    filter_horizontal = ["tariffs", "product_types"]

    @admin.display(description=_("used"))
    def used(self, obj: PromoCode) -> int:
        return obj.uses.count()
