"""Admin for services. The status facts are read-only here: staff change them only through the
domain actions (the suspend/resume admin actions call services.actions), so the History row and
the remote operation follow as they do for every other caller. History is read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from openbill.core.actors import Actor
from openbill.core.admin import ReadOnlyAdmin, ReadOnlyInline, choices_filter
from openbill.core.errors import DomainError

from . import actions
from .choices import Label, Status, SuspendReason
from .models import Service, ServiceAddon, ServiceEvent


class LabelFilter(admin.SimpleListFilter):
    """The client-visible status, with the same precedence the client sees."""

    title = _("status")
    parameter_name = "label"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Label.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value in Label.values:
            return queryset.with_label(value)  # type: ignore[attr-defined,no-any-return]
        return queryset


class ServiceAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """Parameters are checked like the client's: each product-type parameter is validated and
    normalized (a domain to punycode); other keys (a module's own) are kept as they are."""

    class Meta:
        model = Service
        fields = ("name", "period", "auto_renew", "module", "remote_id", "parameters")

    def clean_parameters(self) -> dict[str, Any]:
        values = self.cleaned_data.get("parameters")
        if values is None:
            return {}
        if not isinstance(values, dict):
            raise ValidationError(_("Enter an object of parameter codes and values."))
        cleaned = dict(values)
        errors: list[str] = []
        for parameter in self.instance.product_type.parameters.all():
            if parameter.code not in values:
                continue
            try:
                cleaned[parameter.code] = parameter.clean_value(values[parameter.code])
            except ValidationError as exc:
                errors.extend(f"{parameter.label}: {message}" for message in exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


def addon_value(line: ServiceAddon) -> str:
    """ "100" rather than "100.0000"; the chosen item for an enumeration."""
    return str(line.enum_item) if line.enum_item_id else format(line.quantity.normalize(), "f")


class ServiceAddonInline(ReadOnlyInline):
    # Quantities change through an order (reconfiguration), which charges for the change.
    model = ServiceAddon
    fields = ("addon", "value")
    readonly_fields = fields
    show_change_link = False

    @admin.display(description=_("value"))
    def value(self, line: ServiceAddon) -> str:
        return addon_value(line)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "name",
        "client",
        "product_type",
        "tariff",
        "status_label",
        "period",
        "expires_at",
        "auto_renew",
    )
    list_display_links = ("id", "name")
    list_filter = (
        LabelFilter,
        "status",
        "operation",
        "suspended_by_admin",
        "suspended_for_abuse",
        "suspended_expired",
        "auto_renew",
        "period",
        "product_type__kind",
        "product_type",
    )
    search_fields = ("=id", "name", "client__name", "client__email", "remote_id")
    list_select_related = ("client", "tariff", "product_type")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = (
        "client",
        "tariff",
        "product_type",
        "status_label",
        "status",
        "suspend_reasons_text",
        "operation",
        "suspended_at",
        "created_at",
        "activated_at",
        "paid_at",
        "expires_at",
        "delete_at",
        "deleted_at",
        "history_link",
    )
    fieldsets = (
        (None, {"fields": ("client", "product_type", "tariff", "name", "period", "auto_renew")}),
        (
            _("Status (changed only by the lifecycle actions)"),
            {"fields": ("status_label", "status", "suspend_reasons_text", "operation", "suspended_at", "history_link")},
        ),
        (_("Dates"), {"fields": ("created_at", "paid_at", "activated_at", "expires_at", "delete_at", "deleted_at")}),
        (_("Delivery"), {"fields": ("module", "remote_id", "parameters")}),
    )
    form = ServiceAdminForm
    inlines = (ServiceAddonInline,)
    actions = ("suspend_by_admin", "resume_by_admin")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # services are ordered (orders), never created beside the ledger

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletion is a lifecycle operation with a policy, not a row delete

    @admin.display(description=_("status"))
    def status_label(self, service: Service) -> str:
        return service.label

    @admin.display(description=_("suspension reasons"))
    def suspend_reasons_text(self, service: Service) -> str:
        return ", ".join(str(SuspendReason(r).label) for r in sorted(service.suspend_reasons)) or "—"

    @admin.display(description=_("history"))
    def history_link(self, service: Service) -> str:
        url = reverse("admin:services_serviceevent_changelist") + f"?service__id__exact={service.pk}"
        return format_html('<a href="{}">{}</a>', url, _("History of changes"))

    def _apply(self, request: HttpRequest, queryset: QuerySet[Service], action: Any, lifted: bool) -> None:
        actor = Actor.of_user(request.user)
        now = timezone.now()
        count = 0
        for service in queryset.order_by("pk"):
            try:
                action(service, reason=SuspendReason.ADMIN, actor=actor, now=now)
            except DomainError as exc:
                self.message_user(request, f"{service}: {exc.message}", messages.ERROR)
            else:
                count += 1
        if not count:
            return
        if lifted:
            text = ngettext(
                "Administrator's suspension lifted for %(count)d service.",
                "Administrator's suspension lifted for %(count)d services.",
                count,
            )
        else:
            text = ngettext(
                "Suspension requested for %(count)d service.", "Suspension requested for %(count)d services.", count
            )
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Suspend by administrator"))
    def suspend_by_admin(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        self._apply(request, queryset, actions.suspend, lifted=False)

    @admin.action(description=_("Lift the administrator's suspension"))
    def resume_by_admin(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        self._apply(request, queryset, actions.resume, lifted=True)


@admin.register(ServiceAddon)
class ServiceAddonAdmin(ReadOnlyAdmin):
    list_display = ("service", "addon", "value")
    search_fields = ("=service__id", "service__name", "addon__name")
    list_select_related = ("service", "addon__tariff", "enum_item")

    @admin.display(description=_("value"))
    def value(self, line: ServiceAddon) -> str:
        return addon_value(line)


@admin.register(ServiceEvent)
class ServiceEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "service", "actor_label", "kind", "from_status", "to_status", "note")
    list_filter = (
        choices_filter(
            "actor_kind", _("who"), [("client", _("Client")), ("staff", _("Staff")), ("system", _("System"))]
        ),
        choices_filter("to_status", _("to"), list(Status.choices)),
    )
    search_fields = ("=service__id", "service__name", "actor_label", "note_kind")
    list_select_related = ("service",)
    show_full_result_count = False
    # Newest first by the primary key: the model's (at, id) order would sort the whole table.
    ordering = ("-id",)


# The automation's runs, batches and fuse alerts (services.automation).
from .automation import admin as _automation_admin  # noqa: E402, F401
