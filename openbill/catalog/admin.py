"""Admin for the catalog: product types with their parameters, tariffs with prices and add-ons,
add-ons with their enumeration items and prices. Client-facing texts (names, labels, units,
descriptions, instruction manuals) have one field per language (catalog/translation.py)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    CatalogRevision,
    PeriodPrice,
    ProductParameter,
    ProductType,
    TariffPlan,
)


class ProductParameterForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ProductParameter
        fields = ("product_type", "position", "code", "label", "kind", "required", "choices", "choice_labels", "regex")

    def clean_regex(self) -> str:
        pattern = self.cleaned_data.get("regex") or ""
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(_("Not a valid regular expression: %(error)s") % {"error": exc}) from exc
        return pattern

    def clean_choices(self) -> list[str]:
        choices = self.cleaned_data.get("choices") or []
        if not isinstance(choices, list) or not all(isinstance(c, str | int) for c in choices):
            raise ValidationError(_('Enter a list of values, e.g. ["debian", "ubuntu"].'))
        return [str(c) for c in choices]

    def clean(self) -> dict[str, Any]:
        """Each language's choice labels (``choice_labels_en``…): a map from an allowed value to
        its words in that language; a value left out shows its default-language label."""
        cleaned: dict[str, Any] = super().clean() or {}
        allowed = {str(c) for c in cleaned.get("choices") or []}
        for name in [n for n in cleaned if n.startswith("choice_labels")]:
            labels = cleaned.get(name) or {}
            if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
                self.add_error(name, _('Enter a label for each value, e.g. {"fra": "Frankfurt"}.'))
                continue
            unknown = sorted(set(labels) - allowed)
            if unknown:
                self.add_error(name, _("Not one of the choices: %(values)s") % {"values": ", ".join(unknown)})
                continue
            cleaned[name] = {str(k): v.strip() for k, v in labels.items() if v.strip()}
        return cleaned


class ProductParameterInline(TranslationTabularInline):  # type: ignore[misc]
    model = ProductParameter
    form = ProductParameterForm
    extra = 0
    fields = ("position", "code", "label", "kind", "required", "choices", "choice_labels", "regex")


class TariffInline(TranslationTabularInline):  # type: ignore[misc]
    model = TariffPlan
    extra = 0
    fields = ("name", "orderable", "auto_renew_default", "quick_order", "position")
    show_change_link = True


@admin.register(ProductType)
class ProductTypeAdmin(TranslationAdmin):  # type: ignore[misc]
    list_display = (
        "name",
        "kind",
        "provider",
        "deletion_who",
        "deletion_when",
        "refund_unused",
        "client_can_suspend",
        "grace_days",
        "auto_delete_days",
    )
    list_filter = ("provider", "kind", "deletion_who", "deletion_when", "refund_unused", "client_can_suspend")
    search_fields = ("name",)
    list_select_related = ("provider",)
    fieldsets = (
        (None, {"fields": ("provider", "name", "kind")}),
        (
            _("Deletion and suspension"),
            {
                "fields": (
                    "deletion_who",
                    "deletion_when",
                    "refund_unused",
                    "client_can_suspend",
                    "grace_days",
                    "auto_delete_days",
                )
            },
        ),
        (_("Instruction manual"), {"fields": ("instruction_template",)}),
    )
    inlines = (ProductParameterInline, TariffInline)


@admin.register(ProductParameter)
class ProductParameterAdmin(TranslationAdmin):  # type: ignore[misc]
    form = ProductParameterForm
    list_display = ("product_type", "code", "label", "kind", "required", "position")
    list_filter = ("kind", "required", "product_type")
    search_fields = ("code", "label", "product_type__name")
    list_select_related = ("product_type",)


class PeriodPriceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PeriodPrice
    extra = 0
    fields = ("period", "price", "setup_fee")


class AddonInline(TranslationTabularInline):  # type: ignore[misc]
    model = Addon
    extra = 0
    fields = (
        "position",
        "resource",
        "name",
        "unit",
        "billing_type",
        "value_type",
        "included",
        "minimum",
        "maximum",
        "step",
        "overage_price",
    )
    show_change_link = True


@admin.register(TariffPlan)
class TariffPlanAdmin(TranslationAdmin):  # type: ignore[misc]
    list_display = ("name", "product_type", "orderable", "auto_renew_default", "quick_order", "position")
    list_filter = ("orderable", "quick_order", "auto_renew_default", "product_type__kind", "product_type")
    search_fields = ("name", "description", "product_type__name")
    list_select_related = ("product_type",)
    list_editable = ("orderable", "position")
    filter_horizontal = ("changeable_to",)
    inlines = (PeriodPriceInline, AddonInline)


@admin.register(PeriodPrice)
class PeriodPriceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("tariff", "period", "price", "setup_fee")
    list_filter = ("period", "tariff__product_type")
    search_fields = ("tariff__name",)
    list_select_related = ("tariff",)


class AddonEnumItemInline(TranslationTabularInline):  # type: ignore[misc]
    model = AddonEnumItem
    extra = 0
    fields = ("position", "code", "name", "enabled")


class AddonPriceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AddonPrice
    extra = 0
    fields = ("period", "enum_item", "unit_price")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        # Offer only this add-on's own items.
        if db_field.name == "enum_item":
            addon_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = (
                AddonEnumItem.objects.filter(addon_id=addon_id) if addon_id else AddonEnumItem.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Addon)
class AddonAdmin(TranslationAdmin):  # type: ignore[misc]
    list_display = (
        "name",
        "resource",
        "tariff",
        "billing_type",
        "value_type",
        "unit",
        "included",
        "minimum",
        "maximum",
        "overage_price",
    )
    list_filter = ("billing_type", "value_type", "resource", "tariff__product_type")
    search_fields = ("name", "resource", "tariff__name")
    list_select_related = ("tariff",)
    fieldsets = (
        (None, {"fields": ("tariff", "resource", "name", "unit", "position")}),
        (_("Billing"), {"fields": ("billing_type", "value_type", "included", "minimum", "maximum", "step")}),
        (_("Usage"), {"fields": ("overage_price", "statistics_period", "aggregation", "metrics")}),
    )
    inlines = (AddonEnumItemInline, AddonPriceInline)


@admin.register(AddonEnumItem)
class AddonEnumItemAdmin(TranslationAdmin):  # type: ignore[misc]
    list_display = ("name", "code", "addon", "enabled", "position")
    list_filter = ("enabled",)
    search_fields = ("name", "code", "addon__name")
    list_select_related = ("addon__tariff",)


@admin.register(AddonPrice)
class AddonPriceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("addon", "enum_item", "period", "unit_price")
    list_filter = ("period",)
    search_fields = ("addon__name", "addon__tariff__name", "enum_item__name")
    list_select_related = ("addon__tariff", "enum_item")


@admin.register(CatalogRevision)
class CatalogRevisionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The catalog's revision token (read-only): it changes with every catalog change, and
    every web process reloads its catalog when it does (catalog.selectors)."""

    list_display = ("token",)
    readonly_fields = ("token",)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
