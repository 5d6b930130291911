from __future__ import annotations

from typing import Any

from rest_framework import serializers

from openbill.api.fields import CurrencyField, MoneyField, money_string

from ..models import BillingProfile, BuyerKind, Document, DocumentLine

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
