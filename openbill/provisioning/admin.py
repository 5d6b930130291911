"""Admin for provisioning: module instances (secret settings masked, never shown or logged),
provisioning tasks (read-only rows; staff retry, complete by hand or cancel through the
provisioning actions, so the service and its History follow), issued certificates (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openbill.core.actors import Actor
from openbill.core.admin import ReadOnlyAdmin
from openbill.core.crypto import MASK
from openbill.core.errors import DomainError

from . import staff
from .models import Certificate, ProcessingModule, ProvisioningTask
from .modules.base import REGISTRY, ModuleError, get_module, load_builtins, module_choices


class ProcessingModuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """The module's settings: plain ones as JSON, secret ones as ``name=value`` lines whose
    stored values are shown as a mask; leaving the mask keeps the stored value."""

    kind = forms.ChoiceField(label=_("module"), choices=())
    secrets = forms.CharField(
        label=_("secret settings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "One name=value per line (e.g. password=…). Stored encrypted; shown masked; leave the mask to keep."
        ),
    )

    class Meta:
        model = ProcessingModule
        fields = ["name", "kind", "provider", "tariffs", "config", "capacity", "max_running", "priority", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = module_choices()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["secrets"] = "\n".join(f"{name}={MASK}" for name in self.instance.masked_secrets())

    def clean_secrets(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in (self.cleaned_data.get("secrets") or "").splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(_("Write each secret as name=value."))
            values[name.strip()] = value.strip()
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        load_builtins()
        schema = REGISTRY.get(str(data.get("kind", "")))
        config = data.get("config") or {}
        if schema is not None and isinstance(config, dict):
            for name, spec in schema.config_schema.items():
                if spec.secret and name in config:
                    self.add_error("config", _("“%(name)s” is secret: put it in the secret settings.") % {"name": name})
        return data

    def save(self, commit: bool = True) -> ProcessingModule:
        instance: ProcessingModule = super().save(commit=False)
        instance.set_secrets(self.cleaned_data.get("secrets") or {})
        if commit:
            instance.save()
            self.save_m2m()
        return instance


@admin.register(ProcessingModule)
class ProcessingModuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ProcessingModuleForm
    list_display = ("name", "kind", "provider", "priority", "max_running", "enabled", "has_errors", "last_error_at")
    list_filter = ("kind", "enabled", "has_errors")
    search_fields = ("name",)
    filter_horizontal = ("tariffs",)
    readonly_fields = ("has_errors", "last_error", "last_error_at")
    actions = ("check_connection",)

    @admin.action(description=_("Check the connection"))
    def check_connection(self, request: HttpRequest, queryset: QuerySet[ProcessingModule]) -> None:
        for module in queryset:
            implementation = get_module(module.kind)
            if "check_connection" not in implementation.capabilities:
                self.message_user(request, _("%(name)s: nothing to check.") % {"name": module.name}, messages.INFO)
                continue
            try:
                answer = implementation.check_connection(dict(module.config), module.get_secrets())
                reported = (
                    implementation.node_capacity(dict(module.config), module.get_secrets())
                    if "node_capacity" in implementation.capabilities
                    else {}
                )
            except ModuleError as exc:
                self.message_user(request, f"{module.name}: {exc}", messages.ERROR)
                continue
            self.message_user(request, f"{module.name}: OK {answer}", messages.SUCCESS)
            # Cross-check the limits Openbill enforces with what the host reports.
            for resource, limit in module.limits().items():
                if resource in reported and limit > reported[resource]:
                    self.message_user(
                        request,
                        _("%(name)s: the limit for %(resource)s (%(limit)s) is above what the host reports (%(host)s).")
                        % {"name": module.name, "resource": resource, "limit": limit, "host": reported[resource]},
                        messages.WARNING,
                    )


@admin.register(ProvisioningTask)
class ProvisioningTaskAdmin(ReadOnlyAdmin):
    list_display = ("id", "service", "operation", "state", "module", "attempts", "next_attempt_at", "short_error")
    list_filter = ("state", "operation", "module")
    search_fields = ("=id", "=service__id", "service__name", "last_error")
    list_select_related = ("service", "module")
    show_full_result_count = False
    actions = ("retry", "complete_by_hand", "cancel")

    @admin.display(description=_("last error"))
    def short_error(self, task: ProvisioningTask) -> str:
        return task.last_error[:120]

    def _apply(self, request: HttpRequest, queryset: QuerySet[ProvisioningTask], action: Any, done: Any) -> None:
        actor = Actor.of_user(request.user)
        count = 0
        for task in queryset.order_by("pk"):
            try:
                action(task, actor=actor, now=timezone.now())
            except DomainError as exc:
                self.message_user(request, f"#{task.pk}: {exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, str(done) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Retry"))
    def retry(self, request: HttpRequest, queryset: QuerySet[ProvisioningTask]) -> None:
        self._apply(request, queryset, staff.staff_retry, _("%(count)d operation(s) queued again."))

    @admin.action(description=_("Mark done by hand"))
    def complete_by_hand(self, request: HttpRequest, queryset: QuerySet[ProvisioningTask]) -> None:
        self._apply(request, queryset, staff.staff_complete, _("%(count)d operation(s) completed."))

    @admin.action(description=_("Cancel"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[ProvisioningTask]) -> None:
        self._apply(request, queryset, staff.staff_cancel, _("%(count)d operation(s) cancelled."))


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("domain", "service", "serial", "not_after", "issued_at", "revoked_at")
    search_fields = ("domain", "serial", "=service__id")
    exclude = ("private_key_encrypted",)
    list_select_related = ("service",)
