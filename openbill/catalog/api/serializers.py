"""The catalog as a client sees it: product types, orderable tariffs, prices, add-ons."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.api.fields import CurrencyField, DecimalStringField, MoneyField, decimal_string, price_string
from openbill.catalog.models import Addon, AddonEnumItem, PeriodPrice, ProductParameter, ProductType, TariffPlan
from openbill.core.timeutil import Period

_PRICE = MoneyField()
_QUANTITY = DecimalStringField()


def _currency(serializer: serializers.BaseSerializer[Any]) -> str:
    currency: str = serializer.context.get("currency", "USD")
    return currency


class ProductParameterSerializer(serializers.ModelSerializer[ProductParameter]):
    choice_labels = serializers.SerializerMethodField()

    class Meta:
        model = ProductParameter
        fields = ["code", "label", "kind", "required", "choices", "choice_labels"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(child=serializers.CharField()),
            help_text='For a choice: [{"value", "label"}], the value sent in an order and the words a client '
            "reads, in the request's language (Accept-Language).",
        )
    )
    def get_choice_labels(self, parameter: ProductParameter) -> list[dict[str, str]]:
        return [{"value": value, "label": label} for value, label in parameter.choice_items()]


class ProductTypeSerializer(serializers.ModelSerializer[ProductType]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    parameters = ProductParameterSerializer(many=True, read_only=True)

    class Meta:
        model = ProductType
        fields = [
            "id",
            "name",
            "kind",
            "kind_label",
            "client_can_suspend",
            "deletion_who",
            "deletion_when",
            "refund_unused",
            "grace_days",
            "auto_delete_days",
            "parameters",
        ]
        read_only_fields = fields


class PeriodPriceSerializer(serializers.ModelSerializer[PeriodPrice]):
    period_label = serializers.CharField(source="get_period_display", read_only=True)
    price = serializers.SerializerMethodField()
    setup_fee = serializers.SerializerMethodField()

    class Meta:
        model = PeriodPrice
        fields = ["period", "period_label", "price", "setup_fee"]
        read_only_fields = fields

    @extend_schema_field(_PRICE)
    def get_price(self, row: PeriodPrice) -> str:
        return price_string(row.price, _currency(self))

    @extend_schema_field(_PRICE)
    def get_setup_fee(self, row: PeriodPrice) -> str:
        return price_string(row.setup_fee, _currency(self))


class UnitPriceSerializer(serializers.Serializer[Any]):
    period = serializers.ChoiceField(choices=Period.choices, read_only=True)
    unit_price = MoneyField(read_only=True)


def _unit_prices(addon: Addon, item: AddonEnumItem | None, currency: str) -> list[dict[str, str]]:
    item_id = item.pk if item else None
    return [
        {"period": price.period, "unit_price": price_string(price.unit_price, currency)}
        for price in addon.prices.all()
        if price.enum_item_id == item_id
    ]


class AddonEnumItemSerializer(serializers.Serializer[Any]):
    """One choice of an enumeration add-on with its own prices (built by AddonSerializer from
    the add-on's prefetched prices)."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    prices = UnitPriceSerializer(many=True, read_only=True)


class AddonSerializer(serializers.ModelSerializer[Addon]):
    """A resource of a tariff. ``prices`` are per unit per period (above ``included``);
    ``overage_price`` is per unit over the limit, for add-ons billed by statistics."""

    prices = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    included = serializers.SerializerMethodField()
    minimum = serializers.SerializerMethodField()
    maximum = serializers.SerializerMethodField()
    step = serializers.SerializerMethodField()
    overage_price = serializers.SerializerMethodField()

    class Meta:
        model = Addon
        fields = [
            "id",
            "resource",
            "name",
            "unit",
            "billing_type",
            "value_type",
            "included",
            "minimum",
            "maximum",
            "step",
            "overage_price",
            "statistics_period",
            "prices",
            "items",
        ]
        read_only_fields = fields

    @staticmethod
    def _number(value: Any) -> str:
        return decimal_string(value)

    @extend_schema_field(_QUANTITY)
    def get_included(self, addon: Addon) -> str:
        return self._number(addon.included)

    @extend_schema_field(_QUANTITY)
    def get_minimum(self, addon: Addon) -> str:
        return self._number(addon.minimum)

    @extend_schema_field(DecimalStringField(allow_null=True))
    def get_maximum(self, addon: Addon) -> str | None:
        return None if addon.maximum is None else self._number(addon.maximum)

    @extend_schema_field(_QUANTITY)
    def get_step(self, addon: Addon) -> str:
        return self._number(addon.step)

    @extend_schema_field(_PRICE)
    def get_overage_price(self, addon: Addon) -> str:
        return price_string(addon.overage_price, _currency(self))

    @extend_schema_field(UnitPriceSerializer(many=True))
    def get_prices(self, addon: Addon) -> list[dict[str, str]]:
        return _unit_prices(addon, None, _currency(self))

    @extend_schema_field(AddonEnumItemSerializer(many=True))
    def get_items(self, addon: Addon) -> list[dict[str, Any]]:
        currency = _currency(self)
        return [
            {"id": item.pk, "code": item.code, "name": item.name, "prices": _unit_prices(addon, item, currency)}
            for item in addon.items.all()
        ]


class TariffSerializer(serializers.ModelSerializer[TariffPlan]):
    prices = PeriodPriceSerializer(many=True, read_only=True)
    addons = AddonSerializer(many=True, read_only=True)
    changeable_to = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()

    class Meta:
        model = TariffPlan
        fields = [
            "id",
            "name",
            "description",
            "product_type",
            "auto_renew_default",
            "quick_order",
            "currency",
            "prices",
            "addons",
            "changeable_to",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_changeable_to(self, tariff: TariffPlan) -> list[int]:
        return [other.pk for other in tariff.changeable_to.all() if other.orderable]

    @extend_schema_field(CurrencyField())
    def get_currency(self, tariff: TariffPlan) -> str:
        return _currency(self)
