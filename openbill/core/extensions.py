"""Optional per-app modules (``<app>/api/urls.py``, ``<app>/sweeps.py``, ``<app>/demo.py``…).

The extension points of DESIGN.md §2 all import "this app's module, if it has one"; a module
that exists but fails to import (a missing dependency inside it) must still fail loudly.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType


def optional_module(name: str) -> ModuleType | None:
    """The module ``name``, or None when neither it nor a parent package exists."""
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        parts = name.split(".")
        if exc.name not in {".".join(parts[:i]) for i in range(2, len(parts) + 1)}:
            raise
        return None


def app_modules(name: str) -> list[ModuleType]:
    """Every project app's module ``<app>.<name>`` (``api.urls``, ``staff_urls``, ``demo``…), in
    INSTALLED_APPS order, for the apps that have one. Call it once the app registry is ready."""
    from django.apps import apps

    found = []
    for config in apps.get_app_configs():
        if config.name.startswith("openbill."):
            module = optional_module(f"{config.name}.{name}")
            if module is not None:
                found.append(module)
    return found
