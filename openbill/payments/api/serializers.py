"""Request and response bodies of the payments API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.api.fields import CurrencyField, MoneyField, money_string

from ..models import Payment, Refund, SavedCard


class PaymentMethodSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    refunds = serializers.BooleanField()
    confirmed_by_staff = serializers.BooleanField()


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    amount = serializers.SerializerMethodField()
    refunded = serializers.SerializerMethodField()
    currency = CurrencyField(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "method", "amount", "currency", "status", "order", "refunded", "created_at", "completed_at"]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_amount(self, payment: Payment) -> str:
        return money_string(payment.amount, payment.currency)

    @extend_schema_field(MoneyField(help_text="How much of it has been refunded."))
    def get_refunded(self, payment: Payment) -> str:
        return money_string(payment.refunded_amount, payment.currency)


class TopUpSerializer(serializers.Serializer):
    method = serializers.CharField(max_length=30)
    amount = MoneyField(help_text='A positive amount, e.g. "25.00".')
    currency = CurrencyField(max_length=3, required=False, help_text="Must be the account's currency.")
    order = serializers.IntegerField(
        min_value=1, required=False, help_text="A pending order to pay from the balance once the money arrives."
    )


class StartedPaymentSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    redirect_url = serializers.CharField(help_text="Send the client here (card gateway); empty for bank transfers.")
    instructions = serializers.CharField(help_text="What to do (bank details and reference); empty for cards.")


class SavedCardSerializer(serializers.ModelSerializer[SavedCard]):
    expiry = serializers.CharField(read_only=True, help_text='"MM/YYYY".')

    class Meta:
        model = SavedCard
        fields = ["id", "brand", "last4", "expiry", "is_default", "created_at"]
        read_only_fields = fields


class CardSetupSerializer(serializers.Serializer):
    setup_intent = serializers.CharField(help_text="Stripe's SetupIntent id, to confirm in Stripe.js.")
    client_secret = serializers.CharField(help_text="For Stripe.js's confirmCardSetup.")
    publishable_key = serializers.CharField()


class AddCardSerializer(serializers.Serializer):
    setup_intent = serializers.CharField(max_length=200, help_text="The SetupIntent Stripe.js confirmed.")
    default = serializers.BooleanField(default=False, help_text="Make it the default card for renewals.")


class PayByCardSerializer(serializers.Serializer):
    card = serializers.IntegerField(min_value=1, help_text="One of the caller's saved cards.")


class CardPaymentSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    outcome = serializers.ChoiceField(
        choices=["credited", "requires_action", "declined", "in progress", "pending"],
        help_text="requires_action: send the client to redirect_url to confirm with the bank.",
    )
    redirect_url = serializers.CharField()


class RefundRequestSerializer(serializers.Serializer):
    amount = MoneyField(help_text='A positive amount, at most what is left of the payment, e.g. "10.00".')
    reason = serializers.CharField(max_length=300)


class RefundSerializer(serializers.ModelSerializer[Refund]):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = ["id", "payment", "amount", "reason", "status", "provider_refund_id", "created_at"]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_amount(self, refund: Refund) -> str:
        return money_string(refund.amount, refund.payment.currency)
