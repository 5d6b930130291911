"""Request and response bodies of the virtual data centers API."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Machine, MachineOperation, MachineTemplate


class MachineTemplateSerializer(serializers.ModelSerializer[MachineTemplate]):
    class Meta:
        model = MachineTemplate
        fields = ["id", "name", "image", "min_cpu", "min_ram", "min_disk"]


class MachineSerializer(serializers.ModelSerializer[Machine]):
    template = serializers.IntegerField(source="template_id", read_only=True, help_text="The template's id.")
    template_name = serializers.CharField(source="template.name", read_only=True)
    label_code = serializers.CharField(read_only=True, help_text="The status, or in_progress while an operation runs.")
    # Declared: a read-only model field would lose allow_blank, and "" (nothing under way) with it.
    operation = serializers.ChoiceField(
        choices=MachineOperation.choices, allow_blank=True, read_only=True, help_text='The operation under way, or "".'
    )
    label = serializers.CharField(read_only=True, help_text='The status in words, e.g. "In progress (reboot)".')  # type: ignore[assignment]
    public_ipv4 = serializers.CharField(read_only=True, help_text='The machine\'s public IPv4 address, or "".')

    class Meta:
        model = Machine
        fields = [
            "id",
            "name",
            "template",
            "template_name",
            "cpu",
            "ram",
            "disk",
            "public_ipv4",
            "status",
            "operation",
            "label_code",
            "label",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class MachineCreateSerializer(serializers.Serializer[None]):
    name = serializers.CharField(max_length=63, help_text="Lowercase letters, digits and hyphens.")
    template = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="A template's id.")
    cpu = serializers.IntegerField(min_value=1, max_value=1024, help_text="CPU cores.")
    ram = serializers.IntegerField(min_value=1, max_value=1024, help_text="RAM in GiB.")
    disk = serializers.IntegerField(min_value=1, max_value=1024, help_text="Disk in GiB.")
    public_ipv4 = serializers.BooleanField(
        default=True,
        help_text="Give the machine one of the data center's public IPv4 addresses (when the provider's pools serve it).",
    )


class PoolLineSerializer(serializers.Serializer[None]):
    resource = serializers.CharField()
    total = serializers.IntegerField(allow_null=True, help_text="null: the tariff sets no limit.")
    used = serializers.IntegerField()
    left = serializers.IntegerField(allow_null=True)
