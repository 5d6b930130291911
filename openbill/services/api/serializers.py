"""Service bodies of the API. Every field is read-only: status, price and client are never
writable through these (state changes are verb endpoints that call services.actions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.api.fields import CurrencyField, DecimalStringField, MoneyField, money_string, text_fields
from openbill.catalog.models import AddonEnumItem, BillingType, ProductType, TariffPlan, ValueType
from openbill.core.actors import ActorKind
from openbill.core.money import format_money
from openbill.services import selectors
from openbill.services.choices import EventKind, Label, Operation, Status, SuspendReason, event_kind_label
from openbill.services.models import Service, ServiceAddon, ServiceEvent


def _now(serializer: serializers.BaseSerializer[Any]) -> datetime:
    now: datetime = serializer.context.get("now") or timezone.now()
    return now


class ProductTypeRefSerializer(serializers.ModelSerializer[ProductType]):
    class Meta:
        model = ProductType
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class TariffRefSerializer(serializers.ModelSerializer[TariffPlan]):
    class Meta:
        model = TariffPlan
        fields = ["id", "name"]
        read_only_fields = fields


# How the serializer's ``expires_at`` (a model DateTimeField) writes a moment: ISO 8601 in the
# active zone. Used unbound, so that a list does not build the serializer's fields per request.
_MOMENT = serializers.DateTimeField(read_only=True)


class ServiceSerializer(serializers.ModelSerializer[Service]):
    """A row of the Goods/Services list."""

    product_type = ProductTypeRefSerializer(read_only=True)
    tariff = TariffRefSerializer(read_only=True)
    label_code = serializers.ChoiceField(choices=Label.choices, read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    operation = serializers.SerializerMethodField()
    suspend_reasons = serializers.SerializerMethodField()
    expiration_text = serializers.SerializerMethodField()
    renew_amount = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    renew_cost_text = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "product_type",
            "tariff",
            "status",
            "label_code",
            "label",
            "operation",
            "suspend_reasons",
            "period",
            "expires_at",
            "auto_renew",
            "expiration_text",
            "renew_amount",
            "currency",
            "renew_cost_text",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["", *Operation.values]})
    def get_operation(self, service: Service) -> str:
        """The operation in progress ("reboot"), or "" when none is."""
        return str(service.operation)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=SuspendReason.choices)))
    def get_suspend_reasons(self, service: Service) -> list[str]:
        return sorted(service.suspend_reasons)

    @extend_schema_field(OpenApiTypes.STR)
    def get_expiration_text(self, service: Service) -> str:
        """ "Expires 2025-08-07" while it runs, "Stopped 2025-07-01" once expired or stopped."""
        return selectors.expiration_text(service, _now(self))

    @extend_schema_field(MoneyField(allow_null=True))
    def get_renew_amount(self, service: Service) -> str | None:
        """One period of the tariff with the service's add-ons, at the currency's precision."""
        amount = selectors.renewal_amount(service)
        return None if amount is None else money_string(amount, service.client.currency)

    @extend_schema_field(CurrencyField())
    def get_currency(self, service: Service) -> str:
        return service.client.currency

    @extend_schema_field(OpenApiTypes.STR)
    def get_renew_cost_text(self, service: Service) -> str:
        """ "1.00 USD/day", "500 USD/year"."""
        return selectors.renew_cost_text(service)

    def to_representation(self, instance: Service) -> dict[str, Any]:
        """What DRF's field-by-field walk gives (the declared fields and methods above), written
        directly: the list writes up to 200 rows a page, and prices each row once, not twice."""
        service, now = instance, _now(self)
        costs = self.context.get("renew_costs") or selectors.RenewCosts()
        amount, cost_text = costs(service)
        currency = service.client.currency
        product_type, tariff = service.product_type, service.tariff
        expires_at = service.expires_at
        return {
            "id": service.pk,
            "name": service.name,
            "product_type": {"id": product_type.pk, "name": str(product_type.name), "kind": str(product_type.kind)},
            "tariff": {"id": tariff.pk, "name": str(tariff.name)},
            "status": str(service.status),
            "label_code": str(service.label_code),
            "label": str(service.label),
            "operation": str(service.operation),
            "suspend_reasons": sorted(service.suspend_reasons),
            "period": str(service.period),
            "expires_at": None if expires_at is None else _MOMENT.to_representation(expires_at),
            "auto_renew": service.auto_renew,
            "expiration_text": selectors.expiration_text(service, now),
            "renew_amount": None if amount is None else money_string(amount, currency),
            "currency": currency,
            "renew_cost_text": cost_text,
        }


class EnumItemRefSerializer(serializers.ModelSerializer[AddonEnumItem]):
    class Meta:
        model = AddonEnumItem
        fields = ["id", "code", "name"]
        read_only_fields = fields


class ServiceAddonSerializer(serializers.ModelSerializer[ServiceAddon]):
    resource = serializers.CharField(source="addon.resource", read_only=True)
    name = serializers.CharField(source="addon.name", read_only=True)
    unit = serializers.CharField(source="addon.unit", read_only=True)
    billing_type = serializers.ChoiceField(choices=BillingType.choices, source="addon.billing_type", read_only=True)
    value_type = serializers.ChoiceField(choices=ValueType.choices, source="addon.value_type", read_only=True)
    quantity = DecimalStringField(read_only=True)
    enum_item = EnumItemRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ServiceAddon
        fields = ["addon", "resource", "name", "unit", "billing_type", "value_type", "quantity", "enum_item"]
        read_only_fields = fields


class ServiceDetailSerializer(ServiceSerializer):
    """A service page: the list row plus parameters, add-ons and dates."""

    parameters = serializers.SerializerMethodField()
    parameter_labels = serializers.SerializerMethodField()
    addons = ServiceAddonSerializer(many=True, read_only=True)

    class Meta(ServiceSerializer.Meta):
        fields = [
            *ServiceSerializer.Meta.fields,
            "parameters",
            "parameter_labels",
            "addons",
            "created_at",
            "activated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Service) -> dict[str, Any]:
        # Every declared field, the list's shortcut aside.
        return serializers.ModelSerializer.to_representation(self, instance)

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_parameters(self, service: Service) -> dict[str, str]:
        return {str(key): "" if value is None else str(value) for key, value in (service.parameters or {}).items()}

    @extend_schema_field(
        serializers.DictField(
            child=serializers.CharField(),
            help_text="The parameters as the client reads them: a choice by its label, in the request's language.",
        )
    )
    def get_parameter_labels(self, service: Service) -> dict[str, str]:
        defined = {p.code: p for p in service.product_type.parameters.all()}
        return {
            str(key): defined[key].shown_value(value) if key in defined else ("" if value is None else str(value))
            for key, value in (service.parameters or {}).items()
            if not isinstance(value, (dict, list))
        }


class ServiceEventSerializer(serializers.ModelSerializer[ServiceEvent]):
    """A line of a service's History."""

    kind = serializers.ChoiceField(choices=EventKind.choices, read_only=True, help_text="What happened.")
    kind_label = serializers.SerializerMethodField()
    note, note_kind, note_params = text_fields("More about it (empty when nothing more)")
    from_status = serializers.ChoiceField(
        choices=Status.choices, allow_blank=True, read_only=True, help_text="The status before; empty if unchanged."
    )
    from_label = serializers.SerializerMethodField()
    to_status = serializers.ChoiceField(
        choices=Status.choices, allow_blank=True, read_only=True, help_text="The status after; empty if unchanged."
    )
    to_label = serializers.SerializerMethodField()
    actor_kind = serializers.ChoiceField(choices=ActorKind.choices, read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ServiceEvent
        fields = [
            "id",
            "at",
            "kind",
            "kind_label",
            "from_status",
            "from_label",
            "to_status",
            "to_label",
            "actor_kind",
            "actor",
            "note",
            "note_kind",
            "note_params",
        ]
        read_only_fields = fields

    @staticmethod
    def _status_label(value: str) -> str:
        return str(Status(value).label) if value in Status.values else value

    @extend_schema_field(OpenApiTypes.STR)
    def get_kind_label(self, event: ServiceEvent) -> str:
        """What happened, in the request's language."""
        return event_kind_label(event.kind)

    @extend_schema_field(OpenApiTypes.STR)
    def get_from_label(self, event: ServiceEvent) -> str:
        return self._status_label(event.from_status)

    @extend_schema_field(OpenApiTypes.STR)
    def get_to_label(self, event: ServiceEvent) -> str:
        return self._status_label(event.to_status)

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event: ServiceEvent) -> str:
        """Who did it: the client's user, "system" — or, for staff, only that it was staff."""
        if event.actor_kind == "staff":
            return gettext("Staff")
        return event.actor_label


class ActiveServiceRowSerializer(serializers.ModelSerializer[Service]):
    """A row of the dashboard's Active Services widget."""

    expiration_text = serializers.SerializerMethodField()
    stopped = serializers.SerializerMethodField()
    renew_amount = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    renew_cost_text = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "expires_at",
            "expiration_text",
            "stopped",
            "auto_renew",
            "period",
            "renew_amount",
            "currency",
            "renew_cost_text",
        ]
        read_only_fields = fields

    get_expiration_text = ServiceSerializer.get_expiration_text
    get_renew_amount = ServiceSerializer.get_renew_amount
    get_currency = ServiceSerializer.get_currency
    get_renew_cost_text = ServiceSerializer.get_renew_cost_text

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_stopped(self, service: Service) -> bool:
        return service.is_stopped(_now(self))


class OverageRowSerializer(serializers.Serializer[dict[str, Any]]):
    """A row of the dashboard's Services with overages widget (rows from
    metering.selectors.overage_widget_rows)."""

    id = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    expiration_text = serializers.SerializerMethodField()
    overage_amount = serializers.SerializerMethodField()
    currency = CurrencyField(read_only=True)
    overage_cost_text = serializers.SerializerMethodField()
    url = serializers.CharField(read_only=True)

    @extend_schema_field(OpenApiTypes.INT)
    def get_id(self, row: dict[str, Any]) -> int:
        return int(row["service"].pk)

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, row: dict[str, Any]) -> str:
        return str(row["service"].name)

    @extend_schema_field(OpenApiTypes.STR)
    def get_expiration_text(self, row: dict[str, Any]) -> str:
        return selectors.expiration_text(row["service"], _now(self))

    @extend_schema_field(MoneyField())
    def get_overage_amount(self, row: dict[str, Any]) -> str:
        return money_string(row["cost"], row["currency"])

    @extend_schema_field(OpenApiTypes.STR)
    def get_overage_cost_text(self, row: dict[str, Any]) -> str:
        return format_money(row["cost"], row["currency"])
