"""Provisioning modules: the interface, the registry and the built-in modules (DESIGN.md §6)."""

from .base import (
    REGISTRY,
    ConfigField,
    Module,
    ModuleError,
    NeedsStaff,
    NoCapacity,
    ServiceSpec,
    UsageSample,
    get_module,
    register,
    usage_between,
)

__all__ = [
    "REGISTRY",
    "ConfigField",
    "Module",
    "ModuleError",
    "NeedsStaff",
    "NoCapacity",
    "ServiceSpec",
    "UsageSample",
    "get_module",
    "register",
    "usage_between",
]
