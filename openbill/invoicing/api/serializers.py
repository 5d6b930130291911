from __future__ import annotations

from typing import Any

from rest_framework import serializers

from openbill.api.fields import CurrencyField, MoneyField, money_string
from openbill.catalog.models import ProductType, TariffPlan
from openbill.clients.models import Provider
from openbill.core.timeutil import Period

from ..models import BillingProfile, BuyerKind, DiscountKind, DiscountScope, Document, DocumentLine, PromoCode

MONEY = {"net": "net_amount", "discount": "discount_amount", "tax": "tax_amount", "total": "total_amount"}


def _money_fields(data: Any, instance: Any, currency: str) -> Any:
    """Amounts at the currency's precision ("10.00"), as every money field of the API."""
    for name, source in MONEY.items():
        if name in data:
            data[name] = money_string(getattr(instance, source), currency)
    return data


class DocumentLineSerializer(serializers.ModelSerializer[DocumentLine]):
    net = MoneyField(source="net_amount")
    discount = MoneyField(source="discount_amount")
    tax = MoneyField(source="tax_amount")
    total = MoneyField(source="total_amount")
    rate = serializers.DecimalField(source="tax_rate", max_digits=7, decimal_places=4, coerce_to_string=True)

    class Meta:
        model = DocumentLine
        fields = [
            "position",
            "description",
            "service",
            "quantity",
            "discount",
            "discount_label",
            "net",
            "rate",
            "tax",
            "total",
        ]

    def to_representation(self, instance: DocumentLine) -> Any:
        return _money_fields(super().to_representation(instance), instance, instance.document.currency)


class DocumentSerializer(serializers.ModelSerializer[Document]):
    currency = CurrencyField()
    net = MoneyField(source="net_amount")
    tax = MoneyField(source="tax_amount")
    total = MoneyField(source="total_amount")
    rate = serializers.DecimalField(source="tax_rate", max_digits=7, decimal_places=4, coerce_to_string=True)
    corrects = serializers.CharField(source="corrects.number", default="", read_only=True)
    lines = DocumentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "number",
            "issued_on",
            "supplied_on",
            "currency",
            "net",
            "tax",
            "total",
            "rate",
            "tax_name",
            "tax_scheme",
            "payment",
            "corrects",
            "seller",
            "buyer",
            "record_hash",
            "lines",
        ]

    def to_representation(self, instance: Document) -> Any:
        return _money_fields(super().to_representation(instance), instance, instance.currency)


class DocumentListSerializer(DocumentSerializer):
    class Meta(DocumentSerializer.Meta):
        fields = ["id", "kind", "number", "issued_on", "currency", "net", "tax", "total", "rate", "tax_name", "payment"]


class BillingProfileSerializer(serializers.ModelSerializer[BillingProfile]):
    kind = serializers.ChoiceField(choices=BuyerKind.choices)
    vat_status = serializers.CharField(read_only=True)
    vat_checked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    vat_consultation = serializers.CharField(read_only=True)

    class Meta:
        model = BillingProfile
        fields = [
            "kind",
            "legal_name",
            "address",
            "country",
            "region",
            "vat_number",
            "vat_status",
            "vat_checked_at",
            "vat_consultation",
        ]
        extra_kwargs: dict[str, Any] = {
            "region": {"required": False},
            "vat_number": {"required": False},
        }


class PromoCodeSerializer(serializers.ModelSerializer[PromoCode]):
    """A promo code as staff create and read it. ``value``: a percentage (10 = 10 %) or an
    amount in the provider's currency. Empty ``tariffs``, ``product_types``, ``periods``: all."""

    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.all())
    kind = serializers.ChoiceField(choices=DiscountKind.choices)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    tariffs = serializers.PrimaryKeyRelatedField(queryset=TariffPlan.objects.all(), many=True, required=False)
    product_types = serializers.PrimaryKeyRelatedField(queryset=ProductType.objects.all(), many=True, required=False)
    periods = serializers.ListField(child=serializers.ChoiceField(choices=Period.choices), required=False)
    scope = serializers.ChoiceField(choices=DiscountScope.choices, required=False)
    renewals = serializers.IntegerField(min_value=0, required=False)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    max_uses = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    max_uses_per_client = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    new_clients_only = serializers.BooleanField(required=False)
    uses = serializers.IntegerField(source="used", read_only=True, help_text="How many times the code has been used.")
    active = serializers.BooleanField(read_only=True, help_text="Whether a client may enter it now.")

    class Meta:
        model = PromoCode
        fields = [
            "id",
            "provider",
            "code",
            "kind",
            "value",
            "tariffs",
            "product_types",
            "periods",
            "scope",
            "renewals",
            "valid_from",
            "valid_until",
            "max_uses",
            "max_uses_per_client",
            "new_clients_only",
            "uses",
            "active",
        ]
        # The code's uniqueness per provider is checked by promo.create_code (a 400 on ``code``).
        validators: list[Any] = []
