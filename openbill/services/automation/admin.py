"""Admin for the automation: runs and batches are records (read-only); a fuse alert is what staff
act on — resolving it lets its sweep run again."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openbill.core.admin import ReadOnlyAdmin

from .models import SweepAlert, SweepBatch, SweepRun


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "sweep", "run_key", "at", "state", "expected", "created_at", "finished_at")
    list_filter = ("sweep", "state")
    search_fields = ("run_key",)
    date_hierarchy = "at"


@admin.register(SweepBatch)
class SweepBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "run",
        "lo",
        "hi",
        "expected",
        "state",
        "attempts",
        "lease_owner",
        "lease_until",
        "finished_at",
    )
    list_filter = ("state", "run__sweep")
    list_select_related = ("run",)


@admin.register(SweepAlert)
class SweepAlertAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "sweep", "reason", "run", "resolved_at", "resolved_by")
    list_filter = ("sweep", ("resolved_at", admin.EmptyFieldListFilter))
    readonly_fields = ("sweep", "run", "reason", "details", "created_at", "resolved_at", "resolved_by")
    actions = ["resolve"]

    @admin.action(description=_("Resolve: let the sweep run again"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=request.user.get_username()
        )
        self.message_user(request, _("%(count)d alert(s) resolved.") % {"count": count}, messages.SUCCESS)
