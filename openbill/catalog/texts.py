"""The catalog's stored texts (see openbill.core.texts): a catalog name and an add-on's
quantity, kept as facts in a stored text or mail context and worded in the reader's language.

``catalog_name``: ``{"names": {"en": "Traffic", "es": "Tráfico"}}`` — every language's value of
a translated catalog field when the fact was recorded (catalog/translation.py), shown in the
reader's language, else the default language's, else any. ``quantity``: ``{"quantity":
{"amount": "1500", "unit": "GiB"}}`` — shown by ``display.quantity_text`` ("1.500 GiB" is never
written: "1500 GiB", "1,5 GiB", "3 cores", "3 núcleos").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation

from openbill.core.texts import Template, Text, register


def in_language(names: Any) -> str:
    """The active language's value of ``{language: text}``; else the default language's; else any."""
    if not isinstance(names, dict):
        return str(names)
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    for code in (language, settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        if names.get(code):
            return str(names[code])
    return next((str(value) for value in names.values() if value), "")


def _quantity(value: Any) -> str:
    from .display import quantity_text

    return quantity_text(Decimal(str(value["amount"])), str(value.get("unit", "")))


register(
    Template("catalog_name", "%(names)s", labels={"names": in_language}),
    Template("quantity", "%(quantity)s", labels={"quantity": _quantity}),
)


def name_fact(row: Any, field: str = "name") -> Text:
    """A translated catalog field of ``row`` (an add-on's name…) as a fact: every language's value."""
    names = {code: getattr(row, f"{field}_{code}", "") or "" for code, _name in settings.LANGUAGES}
    return Text("catalog_name", names=names)


def quantity_fact(quantity: Decimal | int, addon: Any) -> Text:
    """A quantity of ``addon`` with its unit, worded in the reader's language when shown, as the
    pages word it (display.addon_value)."""
    return Text("quantity", quantity={"amount": f"{Decimal(quantity).normalize():f}", "unit": addon.unit})
