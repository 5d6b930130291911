"""Provisioning modules: the interface, the registry and the built-in modules (DESIGN.md §6)."""

from .base import REGISTRY, Module, ModuleError, NeedsStaff, get_module, register

__all__ = ["REGISTRY", "Module", "ModuleError", "NeedsStaff", "get_module", "register"]
