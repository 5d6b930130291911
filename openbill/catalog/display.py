"""Add-on values as the client reads them: "RAM: 2 GiB", "CPU cores: 1 core", "Operating
system: Debian 12", in the reader's language, with plurals.

An add-on's unit is part of its definition. A symbol ("GiB", "Mbit/s") is written after the
number as it is; a counted word that Openbill knows ("core", "addresses", "hours"…) is worded
with ``ngettext``, so "1 core", "2 cores", "1 dirección". The unit itself stays untranslated in
the catalog: metering converts by it (metering.units).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from openbill.core.formats import format_number

from .models import ValueType

_CORES = ngettext_lazy("%(count)s core", "%(count)s cores", "n")
_ADDRESSES = ngettext_lazy("%(count)s address", "%(count)s addresses", "n")
_SERVERS = ngettext_lazy("%(count)s server", "%(count)s servers", "n")
_MACHINES = ngettext_lazy("%(count)s machine", "%(count)s machines", "n")
_SECONDS = ngettext_lazy("%(count)s second", "%(count)s seconds", "n")
_MINUTES = ngettext_lazy("%(count)s minute", "%(count)s minutes", "n")
_HOURS = ngettext_lazy("%(count)s hour", "%(count)s hours", "n")
_DAYS = ngettext_lazy("%(count)s day", "%(count)s days", "n")

# Counted words a provider may use as a unit, singular or plural, and their wording: the form is
# chosen by "n" (a whole number), the text shows "count" (the number as the reader writes it).
WORD_UNITS: dict[str, Any] = {
    "core": _CORES,
    "cores": _CORES,
    "address": _ADDRESSES,
    "addresses": _ADDRESSES,
    "server": _SERVERS,
    "servers": _SERVERS,
    "machine": _MACHINES,
    "machines": _MACHINES,
    "second": _SECONDS,
    "seconds": _SECONDS,
    "minute": _MINUTES,
    "minutes": _MINUTES,
    "hour": _HOURS,
    "hours": _HOURS,
    "day": _DAYS,
    "days": _DAYS,
}


def _plural_count(quantity: Decimal) -> int:
    """The number ngettext chooses the form by: the quantity itself when whole, else many."""
    return int(quantity) if quantity == quantity.to_integral_value() else 2


def quantity_text(quantity: Decimal | int, unit: str) -> str:
    """``quantity`` with its unit, in the active language: "2 GiB", "1,5 GiB", "1 core", "3 cores"."""
    value = Decimal(quantity)
    number = format_number(value)
    word = WORD_UNITS.get(unit.strip().lower())
    if word is not None:
        return str(word % {"n": _plural_count(value), "count": number})
    return f"{number} {unit}".strip()


def unit_label(unit: str) -> str:
    """What a quantity field's label adds in brackets: a symbol ("GiB"); nothing for a counted
    word, which the add-on's name already says ("CPU cores", not "CPU cores (cores)")."""
    return "" if unit.strip().lower() in WORD_UNITS else unit.strip()


def addon_value(addon: Any, quantity: Decimal, enum_item: Any = None) -> str:
    """The value of one add-on of a service or an order: its item's name, yes/no, or the quantity."""
    if enum_item is not None:
        return str(enum_item.name)
    if addon.value_type == ValueType.BOOLEAN:
        return _("yes") if quantity else _("no")
    return quantity_text(quantity, addon.unit)


def listed(lines: Iterable[Any]) -> list[Any]:
    """The add-on lines worth showing: not those at zero (no "Extra IPv4 addresses: 0")."""
    return [line for line in lines if line.enum_item is not None or line.quantity]


def addon_lines_text(lines: Iterable[Any]) -> list[str]:
    """ "RAM: 2 GiB" for each listed line (objects with ``addon``, ``quantity``, ``enum_item``)."""
    return [f"{line.addon.name}: {addon_value(line.addon, line.quantity, line.enum_item)}" for line in listed(lines)]


def addon_label(addon: Any) -> str:
    """An add-on's form label: "RAM (GiB)", "CPU cores"."""
    unit = unit_label(addon.unit)
    return f"{addon.name} ({unit})" if unit else str(addon.name)
