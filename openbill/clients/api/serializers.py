"""Request and response bodies of the clients API."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.api.fields import CurrencyField, MoneyField, money_string
from openbill.clients.models import Client
from openbill.core.money import format_money

_MONEY = MoneyField()


class BalanceSerializer(serializers.ModelSerializer[Client]):
    """The client's balance (the sum of its ledger), credit limit and what may still be spent."""

    currency = CurrencyField(read_only=True)
    balance_amount = serializers.SerializerMethodField()
    credit_limit = serializers.SerializerMethodField()
    available_amount = serializers.SerializerMethodField()
    balance_text = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["currency", "balance_amount", "credit_limit", "available_amount", "balance_text"]
        read_only_fields = fields

    def _money(self, amount: Decimal, client: Client) -> str:
        return money_string(amount, client.currency)

    @extend_schema_field(_MONEY)
    def get_balance_amount(self, client: Client) -> str:
        return self._money(client.balance_amount, client)

    @extend_schema_field(_MONEY)
    def get_credit_limit(self, client: Client) -> str:
        return self._money(client.credit_limit, client)

    @extend_schema_field(_MONEY)
    def get_available_amount(self, client: Client) -> str:
        return self._money(client.available_amount, client)

    @extend_schema_field(OpenApiTypes.STR)
    def get_balance_text(self, client: Client) -> str:
        """ "100.00 USD"."""
        return format_money(client.balance_amount, client.currency)
