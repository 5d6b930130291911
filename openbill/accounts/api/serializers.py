"""The caller (``/me/``), their API tokens and their account (``/account/…``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.accounts.models import ApiToken, Membership, User
from openbill.api.fields import CurrencyField, MoneyField, StrictCharField, money_string
from openbill.clients.models import Client


class UserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "language", "is_staff"]
        read_only_fields = fields


class ClientSerializer(serializers.ModelSerializer[Client]):
    provider = serializers.CharField(source="provider.name", read_only=True)
    currency = CurrencyField(read_only=True)
    time_zone = serializers.CharField(source="provider.time_zone", read_only=True)
    language = serializers.CharField(
        source="mail_language", read_only=True, help_text="The language the account's mail is written in: its owner's."
    )
    balance_amount = serializers.SerializerMethodField()
    credit_limit = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "language",
            "provider",
            "currency",
            "time_zone",
            "balance_amount",
            "credit_limit",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_balance_amount(self, client: Client) -> str:
        return money_string(client.balance_amount, client.currency)

    @extend_schema_field(MoneyField())
    def get_credit_limit(self, client: Client) -> str:
        return money_string(client.credit_limit, client.currency)


class MeSerializer(serializers.Serializer[dict[str, Any]]):
    user = UserSerializer(read_only=True)
    client = ClientSerializer(read_only=True, allow_null=True, help_text="null for staff without a client account")


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as listed: its name and the first characters, never the token itself."""

    name = StrictCharField(max_length=100)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "key_prefix", "created_at", "last_used_at"]
        read_only_fields = ["id", "key_prefix", "created_at", "last_used_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    """A token just created: the only time ``token`` is shown. Store it now."""

    token = serializers.CharField(read_only=True, help_text="The token; shown once, stored only as a hash.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class LanguageSerializer(serializers.Serializer[dict[str, Any]]):
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The client area's language and the one account mail (password reset) is written in.",
    )


class PasswordChangeSerializer(serializers.Serializer[dict[str, Any]]):
    old_password = StrictCharField(write_only=True, max_length=128, help_text="The current password.")
    new_password = StrictCharField(
        write_only=True, max_length=128, help_text="Checked by the same rules as in the client area."
    )


class AccountUserSerializer(serializers.ModelSerializer[Membership]):
    """A user of the caller's client account."""

    id = serializers.IntegerField(source="user.id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "first_name", "last_name", "role"]
        read_only_fields = fields
