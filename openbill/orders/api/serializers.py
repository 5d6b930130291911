"""Orders API bodies. Prices are computed on the server: no field here accepts a price."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.api.fields import (
    CurrencyField,
    DecimalStringField,
    MoneyField,
    StrictChoiceField,
    money_string,
    text_fields,
)
from openbill.core.timeutil import Period
from openbill.services.choices import Operation, Status

from ..models import Order, OrderLine

# The kinds of a change quote's lines (orders.pricing.ChargeLine.suffix).
CHARGE_LINE_KINDS = [
    ("charge", "charge"),  # the rest of the paid period at the new prices
    ("credit", "credit"),  # the unused rest of the old prices, given back
    ("addons", "addons"),  # the price difference of the add-ons alone
]
# The remaining share of the paid period is shown to this many places (display only: the amounts
# are prorated with the exact fraction).
SHARE_PLACES = 6


class StrictCharField(serializers.CharField):
    """A string, and only a string (DRF's CharField also takes numbers; the schema says string)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class OrderSpecSerializer(serializers.Serializer):
    """What to order: a tariff, one of its periods, add-on values and parameters."""

    tariff = StrictIntegerField(min_value=1)
    period = StrictChoiceField(choices=Period.choices)
    addons = serializers.DictField(
        child=StrictCharField(allow_blank=True, max_length=100),
        required=False,
        help_text="Add-on resource code → quantity (or an enumeration item's code).",
    )
    parameters = serializers.DictField(
        child=StrictCharField(allow_blank=True, max_length=4000),
        required=False,
        help_text="Parameter code → value (hostname, domain…). Domains may be IDN; they are stored in punycode.",
    )
    quick = StrictBooleanField(required=False, default=False, help_text="Order without the parameters (quick order).")
    name = StrictCharField(required=False, allow_blank=True, max_length=200)
    promo_code = StrictCharField(required=False, allow_blank=True, max_length=40, help_text="A promo code, if any.")


class OrderNowSerializer(OrderSpecSerializer):
    pay = StrictBooleanField(required=False, default=True, help_text="Pay from the balance at once.")


class CheckoutSerializer(serializers.Serializer):
    pay = StrictBooleanField(required=False, default=True, help_text="Pay from the balance at once.")


class AddonLineSerializer(serializers.Serializer):
    resource = serializers.CharField()
    name = serializers.CharField()
    value = serializers.CharField(help_text="The value as shown: a quantity or an enumeration item's name.")
    amount = MoneyField()


class QuoteSerializer(serializers.Serializer):
    tariff = serializers.IntegerField()
    period = serializers.ChoiceField(choices=Period.choices)
    currency = CurrencyField()
    base_amount = MoneyField()
    addons = AddonLineSerializer(many=True)
    period_amount = MoneyField()
    setup_amount = MoneyField()
    discount = MoneyField(help_text="What the promo code takes off, before tax.")
    promo_code = serializers.CharField()
    net = MoneyField(help_text="The total before tax, after the discount.")
    tax = MoneyField(help_text="The tax on the setup fee and the period, each rounded once.")
    tax_name = serializers.CharField()
    total = MoneyField(help_text="What is charged and invoiced: net plus tax.")
    parameters = serializers.DictField(child=serializers.CharField())


def quote_data(quote: Any) -> dict[str, Any]:
    currency = quote.currency
    return {
        "tariff": quote.tariff.pk,
        "period": quote.period,
        "currency": currency,
        "base_amount": money_string(quote.base_amount, currency),
        "addons": [
            {
                "resource": choice.addon.resource,
                "name": choice.addon.name,
                "value": choice.display,
                "amount": money_string(amount, currency),
            }
            for choice, amount in quote.addon_lines
        ],
        "period_amount": money_string(quote.period_amount, currency),
        "setup_amount": money_string(quote.setup_amount, currency),
        "discount": money_string(quote.discount.total if quote.discount else Decimal(0), currency),
        "promo_code": quote.discount.code if quote.discount else "",
        "net": money_string(quote.tax.net if quote.tax else quote.total, currency),
        "tax": money_string(quote.tax.tax if quote.tax else Decimal(0), currency),
        "tax_name": quote.tax.name if quote.tax else "",
        "total": money_string(quote.total, currency),
        "parameters": quote.parameters,
    }


class OrderLineSerializer(serializers.ModelSerializer[OrderLine]):
    amount = serializers.SerializerMethodField()
    currency = CurrencyField(read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    service_status = serializers.SerializerMethodField()
    description, description_kind, description_params = text_fields("What was ordered")

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "order",
            "service",
            "service_name",
            "service_status",
            "kind",
            "period",
            "description",
            "description_kind",
            "description_params",
            "amount",
            "currency",
            "created_at",
            "paid_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_amount(self, line: OrderLine) -> str:
        return money_string(line.amount, line.currency)

    @extend_schema_field(serializers.CharField(help_text='The service\'s status label ("Active").'))
    def get_service_status(self, line: OrderLine) -> str:
        return line.service.label


class CartSerializer(serializers.Serializer):
    lines = OrderLineSerializer(many=True)
    total = MoneyField()
    currency = CurrencyField()


class OrderSerializer(serializers.ModelSerializer[Order]):
    total = serializers.SerializerMethodField()
    currency = CurrencyField(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "status", "total", "currency", "created_at", "paid_at", "lines"]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_total(self, order: Order) -> str:
        return money_string(order.total_amount, order.currency)


class RemovedSerializer(serializers.Serializer):
    removed = serializers.IntegerField()


class RenewQuoteRequestSerializer(serializers.Serializer):
    period = StrictChoiceField(choices=Period.choices, required=False)


class RenewRequestSerializer(RenewQuoteRequestSerializer):
    expected_start = serializers.DateTimeField(
        required=False, help_text="The period start shown with the price; a repeat for the same start charges nothing."
    )


class RenewQuoteSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=Period.choices)
    amount = MoneyField(help_text="What the extension takes from the balance, tax included.")
    net = MoneyField(help_text="The amount before tax, after a recurring promo code's discount.")
    tax = MoneyField(help_text="The tax, rounded once.")
    tax_name = serializers.CharField()
    currency = CurrencyField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()


class RenewalSerializer(serializers.Serializer):
    service = serializers.IntegerField()
    charged = serializers.BooleanField(help_text="false when this period had already been charged (a repeat).")
    amount = MoneyField()
    currency = CurrencyField()
    period_start = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class ChangeQuoteRequestSerializer(serializers.Serializer):
    tariff = StrictIntegerField(min_value=1, required=False)
    addons = serializers.DictField(child=StrictCharField(allow_blank=True, max_length=100), required=False)


class ChangeRequestSerializer(ChangeQuoteRequestSerializer):
    auto_renew = StrictBooleanField(required=False, allow_null=True, default=None)
    period = StrictChoiceField(choices=Period.choices, required=False, help_text="The auto-renewal period.")
    expected_total = MoneyField(
        required=False, as_string=True, help_text='The total that was quoted ("1.94"); a different price → 409.'
    )


class ChargeLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CHARGE_LINE_KINDS)
    net = MoneyField(help_text="The line before tax.")
    tax = MoneyField(help_text="The line's tax, rounded once.")
    amount = MoneyField(help_text="Net plus tax, as written to the ledger. Positive: charged; negative: credited.")
    description = serializers.CharField()


class ChangeQuoteSerializer(serializers.Serializer):
    tariff = serializers.IntegerField()
    share = DecimalStringField(
        help_text=f'The remaining share of the paid period, from 0 to 1, to {SHARE_PLACES} places (e.g. "0.483871" '
        "for 15 of 31 days); the amounts are prorated with the exact share."
    )
    lines = ChargeLineSerializer(many=True)
    net = MoneyField(help_text="The lines before tax.")
    tax = MoneyField(help_text="The lines' tax, each rounded once.")
    tax_name = serializers.CharField()
    total = MoneyField(help_text="Net plus tax: what the change charges (negative: credits) to the balance.")
    currency = CurrencyField()


def _share(share: Fraction) -> str:
    exact = Decimal(share.numerator) / Decimal(share.denominator)
    return f"{exact.quantize(Decimal(1).scaleb(-SHARE_PLACES), rounding=ROUND_HALF_UP):f}"


def change_quote_data(quote: Any, currency: str) -> dict[str, Any]:
    return {
        "tariff": quote.tariff.pk,
        "share": _share(quote.share),
        "lines": [
            {
                "kind": line.suffix,
                "net": money_string(line.net, currency),
                "tax": money_string(line.tax, currency),
                "amount": money_string(line.amount, currency),
                "description": str(line.description),
            }
            for line in quote.lines
        ],
        "net": money_string(quote.tax.net if quote.tax else Decimal(0), currency),
        "tax": money_string(quote.tax.tax if quote.tax else Decimal(0), currency),
        "tax_name": quote.tax.name if quote.tax else "",
        "total": money_string(quote.total, currency),
        "currency": currency,
    }


class ChangeResultSerializer(serializers.Serializer):
    line = OrderLineSerializer(allow_null=True, help_text="The charge or credit of the change; null if none.")
    auto_renew = serializers.BooleanField()
    period = serializers.ChoiceField(choices=Period.choices, help_text="The auto-renewal period.")
    tariff = serializers.IntegerField()
    operation = serializers.ChoiceField(
        choices=Operation.choices, allow_blank=True, help_text='The operation started ("reconfiguration"), or "".'
    )


class ConfigureSerializer(serializers.Serializer):
    parameters = serializers.DictField(child=StrictCharField(allow_blank=True, max_length=4000))


class ConfiguredSerializer(serializers.Serializer):
    service = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    label = serializers.CharField()  # type: ignore[assignment]


class InstructionsSerializer(serializers.Serializer):
    service = serializers.IntegerField()
    text = serializers.CharField(
        help_text=(
            "The instruction manual as an HTML fragment, sanitised with an allow-list: simple formatting "
            "(p, br, b, strong, em, lists, tables, headings, pre, code) and http(s)/mailto links only; "
            "no script, event handler, style or image. Show it with its line breaks (white-space: pre-wrap)."
        )
    )
