"""Domains in the API: checking names, ordering, contacts, and a domain's NS / Whois / Verify."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from openbill.api.fields import MoneyField, StrictCharField

from ..actions import phase_text
from ..models import (
    MAX_YEARS,
    Action,
    ContactKind,
    DelegationState,
    Domain,
    DomainContact,
    Phase,
    TransferState,
    Verification,
)


class CheckRequestSerializer(serializers.Serializer[Any]):
    names = StrictCharField(max_length=2000, help_text=_("One or more names, separated by spaces."))


class CheckResultSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text=_("In Unicode."))
    ascii = serializers.CharField(help_text=_("In punycode."))
    zone = serializers.CharField()
    available = serializers.BooleanField(allow_null=True, help_text=_("null: the source did not answer (see reason)."))
    reason = serializers.CharField(allow_blank=True)
    register_price = MoneyField(allow_null=True)
    transfer_price = MoneyField(allow_null=True)
    auth_code_required = serializers.BooleanField()


class RefusedSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    reason = serializers.CharField()


class CheckResponseSerializer(serializers.Serializer[Any]):
    results = CheckResultSerializer(many=True)
    refused = RefusedSerializer(many=True)


class ContactSerializer(serializers.ModelSerializer[DomainContact]):
    kind = serializers.ChoiceField(choices=ContactKind.choices, default=ContactKind.PERSON)
    name = StrictCharField(max_length=200)
    organisation = StrictCharField(max_length=200, required=False, allow_blank=True)
    street = StrictCharField(max_length=200)
    city = StrictCharField(max_length=100)
    region = StrictCharField(max_length=100, required=False, allow_blank=True)
    postcode = StrictCharField(max_length=20, required=False, allow_blank=True)
    country = StrictCharField(max_length=2, min_length=2, help_text=_("ISO 3166 code, e.g. ES."))
    phone = StrictCharField(max_length=20, help_text=_("+CC.NUMBER, e.g. +34.911234567"))
    email = serializers.EmailField(max_length=254)

    class Meta:
        model = DomainContact
        fields = [
            "id",
            "kind",
            "name",
            "organisation",
            "street",
            "city",
            "region",
            "postcode",
            "country",
            "phone",
            "email",
        ]
        read_only_fields = ["id"]


class NewContactSerializer(serializers.Serializer[Any]):
    """The fields of a domain contact made with the order (checked by the order itself)."""

    kind = serializers.ChoiceField(choices=ContactKind.choices, default=ContactKind.PERSON)
    name = StrictCharField(max_length=200)
    organisation = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    street = StrictCharField(max_length=200)
    city = StrictCharField(max_length=100)
    region = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    postcode = StrictCharField(max_length=20, required=False, allow_blank=True, default="")
    country = StrictCharField(max_length=2)
    phone = StrictCharField(max_length=20)
    email = StrictCharField(max_length=254)


class OrderRequestSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=300)
    action = serializers.ChoiceField(choices=[Action.REGISTER, Action.TRANSFER])
    years = serializers.IntegerField(min_value=1, max_value=MAX_YEARS, default=1)
    auth_code = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    owner = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Id of one of the caller's domain contacts (or new_owner).")
    )
    new_owner = NewContactSerializer(
        required=False, help_text=_("A new owner contact, created with the order (when owner is not given).")
    )
    admin = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Id of a contact (or new_admin); neither: the owner.")
    )
    new_admin = NewContactSerializer(required=False, help_text=_("A new administrative contact, made with the order."))
    tech = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Id of a contact (or new_tech); neither: the owner.")
    )
    new_tech = NewContactSerializer(required=False, help_text=_("A new technical contact, made with the order."))
    billing = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Id of a contact (or new_billing); neither: the owner.")
    )
    new_billing = NewContactSerializer(required=False, help_text=_("A new billing contact, made with the order."))
    ns = serializers.ListField(child=StrictCharField(max_length=300), required=False, max_length=13, default=list)
    auto_renew = serializers.BooleanField(default=True)


class DomainContactsSerializer(serializers.Serializer[Any]):
    owner = serializers.IntegerField(help_text=_("Id of one of the caller's domain contacts."))
    admin = serializers.IntegerField(required=False, allow_null=True)
    tech = serializers.IntegerField(required=False, allow_null=True)
    billing = serializers.IntegerField(required=False, allow_null=True)


class NsRequestSerializer(serializers.Serializer[Any]):
    ns = serializers.ListField(
        child=StrictCharField(max_length=300),
        min_length=2,
        max_length=13,
        help_text=_("ns1.example.net, or ns1.yourdomain.com/192.0.2.1,2001:db8::1 inside the domain itself."),
    )


class DomainSerializer(serializers.ModelSerializer[Domain]):
    service = serializers.IntegerField(source="service_id", read_only=True)
    name = serializers.CharField(source="unicode_name", read_only=True)
    ascii = serializers.CharField(source="name", read_only=True)
    zone = serializers.CharField(source="zone.name", read_only=True)
    status = serializers.CharField(source="service.label", read_only=True)
    action = serializers.ChoiceField(choices=Action.choices, read_only=True)
    verification = serializers.ChoiceField(choices=Verification.choices, read_only=True)
    ns = serializers.ListField(child=serializers.CharField(), read_only=True)
    whois = serializers.CharField(source="whois_text", read_only=True)
    whois_error = serializers.CharField(read_only=True)
    whois_fetched_at = serializers.DateTimeField(read_only=True, allow_null=True)
    delegation = serializers.ChoiceField(choices=[("", ""), *DelegationState.choices], read_only=True)
    delegation_reason = serializers.CharField(read_only=True)
    delegation_checked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        read_only=True,
        help_text='After expiry: "grace" (renewable until grace_until), "redemption" (deleted at the registry, '
        'restorable until redemption_until with POST .../restore/); "" while registered.',
    )
    phase_text = serializers.SerializerMethodField(help_text="The phase and its deadline in words.")
    grace_until = serializers.DateTimeField(read_only=True, allow_null=True)
    redemption_until = serializers.DateTimeField(read_only=True, allow_null=True)
    transfer_status = serializers.ChoiceField(
        choices=TransferState.choices,
        read_only=True,
        help_text='"pending" while the losing registrar has not answered a transfer; then "done" or "rejected".',
    )

    class Meta:
        model = Domain
        fields = [
            "service",
            "name",
            "ascii",
            "zone",
            "status",
            "action",
            "years",
            "ns",
            "owner",
            "admin",
            "tech",
            "billing",
            "whois",
            "whois_error",
            "whois_fetched_at",
            "verification",
            "delegation",
            "delegation_reason",
            "delegation_checked_at",
            "transfer_status",
            "phase",
            "phase_text",
            "grace_until",
            "redemption_until",
        ]

    def get_phase_text(self, domain: Domain) -> str:
        return phase_text(domain)


class VerifyRequestSerializer(serializers.Serializer[Any]):
    documents = serializers.ListField(
        child=serializers.FileField(), min_length=1, max_length=2, help_text=_("One or two documents (PDF or image).")
    )
