"""The catalog's client-facing texts, one value per language (django-modeltranslation).

Each registered field gets a column per language (``name_en``, ``name_es``…); reading ``name``
gives the active language's value, or the default language's where it is empty (then any other).
Staff fill them in the admin's product type, tariff and add-on pages.
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from .models import Addon, AddonEnumItem, ProductParameter, ProductType, TariffPlan


@register(ProductType)
class ProductTypeTranslation(TranslationOptions):
    fields = ("name", "instruction_template")


@register(ProductParameter)
class ProductParameterTranslation(TranslationOptions):
    fields = ("label", "choice_labels")


@register(TariffPlan)
class TariffPlanTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Addon)
class AddonTranslation(TranslationOptions):
    # Not the unit: a symbol or a counted word worded per language (catalog.display), and what
    # metering converts usage by, so the same in every language.
    fields = ("name",)


@register(AddonEnumItem)
class AddonEnumItemTranslation(TranslationOptions):
    fields = ("name",)
