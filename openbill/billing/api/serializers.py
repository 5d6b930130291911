"""Request and response bodies of the billing API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.api.fields import CurrencyField, MoneyField, money_string, text_fields
from openbill.billing.models import LedgerEntry
from openbill.services.models import Service

_MONEY = MoneyField()


class ServiceRefSerializer(serializers.ModelSerializer[Service]):
    class Meta:
        model = Service
        fields = ["id", "name"]
        read_only_fields = fields


class LedgerEntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    """One movement of the client's money: payments and refunds positive, charges negative."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()
    currency = CurrencyField(read_only=True)
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    description, description_kind, description_params = text_fields("What the line is")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "created_at",
            "kind",
            "kind_label",
            "amount",
            "currency",
            "balance_after",
            "description",
            "description_kind",
            "description_params",
            "service",
        ]
        read_only_fields = fields

    @extend_schema_field(_MONEY)
    def get_amount(self, entry: LedgerEntry) -> str:
        return money_string(entry.amount, entry.currency)

    @extend_schema_field(_MONEY)
    def get_balance_after(self, entry: LedgerEntry) -> str:
        return money_string(entry.balance_after, entry.currency)
