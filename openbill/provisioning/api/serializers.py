"""What the lifecycle verbs answer: the service as the client sees it, plus the scheduled
deletion date; the staff queue's rows."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from openbill.provisioning.models import Certificate, ProcessingModule, ProvisioningTask
from openbill.services.api.serializers import ServiceDetailSerializer
from openbill.services.choices import Operation


class LifecycleServiceSerializer(ServiceDetailSerializer):
    """The service after a lifecycle verb: status label ("In progress (reboot)"), running
    operation, reasons, and ``delete_at`` when a deletion is scheduled."""

    class Meta(ServiceDetailSerializer.Meta):
        fields = [*ServiceDetailSerializer.Meta.fields, "delete_at"]
        read_only_fields = fields


class StaffDeleteSerializer(serializers.Serializer[dict[str, Any]]):
    at_period_end = serializers.BooleanField(
        required=False, default=False, help_text="Delete when the paid period ends instead of now."
    )
    refund = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Refund the unused part; default: the product type's policy.",
    )


class StaffNoteSerializer(serializers.Serializer[dict[str, Any]]):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ModuleRefSerializer(serializers.ModelSerializer[ProcessingModule]):
    class Meta:
        model = ProcessingModule
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer[ProvisioningTask]):
    """One provisioning task (a running operation) in the staff queue."""

    module = ModuleRefSerializer(read_only=True, allow_null=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    client = serializers.SerializerMethodField()
    operation = serializers.ChoiceField(choices=Operation.choices, read_only=True)

    class Meta:
        model = ProvisioningTask
        fields = [
            "id",
            "service",
            "service_name",
            "client",
            "operation",
            "state",
            "module",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_client(self, task: ProvisioningTask) -> str:
        return task.service.client.name


class CertificateSerializer(serializers.ModelSerializer[Certificate]):
    """The issued certificate and its chain (PEM); ``private_key`` only when Openbill generated
    the key (otherwise the client holds it, from its own CSR)."""

    private_key = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "domain",
            "serial",
            "not_after",
            "issued_at",
            "revoked_at",
            "certificate_pem",
            "chain_pem",
            "private_key",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_private_key(self, certificate: Certificate) -> str:
        return certificate.private_key_pem()
