"""Admin for virtual data centers: staff keep the machine templates here; machines are the
clients' (read-only here, changed through the client area or the API so the pool stays checked)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Machine, MachineTemplate


@admin.register(MachineTemplate)
class MachineTemplateAdmin(admin.ModelAdmin[MachineTemplate]):
    list_display = ["name", "provider", "image", "min_cpu", "min_ram", "min_disk", "enabled", "position"]
    list_filter = ["provider", "enabled"]
    list_editable = ["enabled", "position"]


@admin.register(Machine)
class MachineAdmin(admin.ModelAdmin[Machine]):
    list_display = ["name", "service", "template", "cpu", "ram", "disk", "status", "operation", "error"]
    list_filter = ["status"]
    search_fields = ["name", "service__name", "service__client__email"]
    list_select_related = ["service", "template"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
