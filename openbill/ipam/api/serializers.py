"""Request and response bodies of the IP addresses API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from openbill.api.fields import CurrencyField, MoneyField

from ..models import Address, Pool
from ..selectors import pool_addresses


class AddressSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.SerializerMethodField()
    ptr_state = serializers.SerializerMethodField()

    class Meta:
        model = Address
        fields = ["address", "version", "main", "kind", "ptr_name", "ptr_state", "ptr_error"]

    def get_kind(self, obj: Address) -> str:
        """``main`` or ``additional``."""
        return "main" if obj.main else "additional"

    def get_ptr_state(self, obj: Address) -> str:
        """``none``, ``pending`` (written by the worker, not yet confirmed), ``done`` or ``error``."""
        return obj.ptr_state or "none"


class OrderAddressSerializer(serializers.Serializer):  # type: ignore[type-arg]
    version = serializers.ChoiceField(choices=[4], default=4, help_text="Only IPv4 addresses are sold one by one.")
    expected_total = MoneyField(
        required=False,
        help_text="The quote's total the client confirmed; if the price moved since, 409.",
    )


class PtrSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ptr_name = serializers.CharField(allow_blank=True, max_length=300, help_text="Empty: remove the reverse name.")


class IpQuoteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    total = MoneyField()
    currency = CurrencyField()
    lines = serializers.ListField(child=serializers.DictField())


class PoolSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    size = serializers.SerializerMethodField()
    used = serializers.SerializerMethodField()

    class Meta:
        model = Pool
        fields = ["id", "name", "location", "prefix", "version", "gateway", "reverse_zone", "enabled", "size", "used"]

    def get_size(self, obj: Pool) -> int:
        return obj.size()

    def get_used(self, obj: Any) -> int:
        return len(obj.addresses.all())


class StaffAddressSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    client = serializers.IntegerField(source="service.client_id", allow_null=True, read_only=True)

    class Meta:
        model = Address
        fields = ["address", "version", "state", "service", "client", "main", "ptr_name", "ptr_state", "available_at"]


class PoolDetailSerializer(PoolSerializer):
    addresses = serializers.SerializerMethodField()

    class Meta(PoolSerializer.Meta):
        fields = [*PoolSerializer.Meta.fields, "excluded", "addresses"]

    def get_addresses(self, obj: Pool) -> list[dict[str, Any]]:
        """Every taken address of the pool (active or in quarantine) with its service."""
        return list(StaffAddressSerializer(pool_addresses(obj), many=True).data)
