"""Units of measured resources and their conversions.

A usage record is stored in the base unit of its dimension (bytes, seconds, or — for anything
else — the unit itself), so that sums happen in SQL; rating converts the sum to the add-on's
unit. Data units are binary (1 GiB = 1024 MiB), as BILLmanager counts them.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

_BYTES = {
    "b": Decimal(1),
    "byte": Decimal(1),
    "bytes": Decimal(1),
    "kib": Decimal(1024),
    "mib": Decimal(1024) ** 2,
    "gib": Decimal(1024) ** 3,
    "tib": Decimal(1024) ** 4,
}
_SECONDS = {
    "ns": Decimal("0.000000001"),
    "us": Decimal("0.000001"),
    "ms": Decimal("0.001"),
    "s": Decimal(1),
    "sec": Decimal(1),
    "second": Decimal(1),
    "seconds": Decimal(1),
    "min": Decimal(60),
    "minute": Decimal(60),
    "minutes": Decimal(60),
    "h": Decimal(3600),
    "hour": Decimal(3600),
    "hours": Decimal(3600),
    "day": Decimal(86400),
    "days": Decimal(86400),
}


class UnitError(ValueError):
    pass


def dimension(unit: str) -> tuple[str, Decimal]:
    """(dimension, factor to its base unit). Unknown units form their own dimension."""
    key = unit.strip().lower()
    if key in _BYTES:
        return "bytes", _BYTES[key]
    if key in _SECONDS:
        return "seconds", _SECONDS[key]
    return f"unit:{key}", Decimal(1)


def convert(quantity: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """``quantity`` in ``from_unit`` expressed in ``to_unit``; UnitError across dimensions."""
    source, source_factor = dimension(from_unit)
    target, target_factor = dimension(to_unit)
    if source != target:
        raise UnitError(
            _("%(unit)s cannot be converted to %(target)s.") % {"unit": from_unit or "-", "target": to_unit or "-"}
        )
    if source_factor == target_factor:
        return quantity
    return quantity * source_factor / target_factor


def base_unit(unit: str) -> str:
    """The unit records of this dimension are stored in."""
    name, _factor = dimension(unit)
    if name == "bytes":
        return "bytes"
    if name == "seconds":
        return "seconds"
    return unit.strip().lower()
