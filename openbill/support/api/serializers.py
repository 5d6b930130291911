"""Support in the API: tickets and their threads as the client sees them (no internal notes)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Attachment, Department, Message, Priority, Ticket, TicketStatus


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ["id", "name"]


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    url = serializers.SerializerMethodField(help_text=_("Download URL (the caller's own tickets only)."))

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "url"]

    def get_url(self, item: Attachment) -> str:
        return reverse("api-ticket-attachment", kwargs={"pk": item.pk})


class MessageSerializer(serializers.ModelSerializer[Message]):
    author_kind = serializers.ChoiceField(choices=["client", "staff", "system"], read_only=True)
    author = serializers.CharField(source="author_name", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author_kind", "author", "body", "created_at", "attachments"]


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    status = serializers.ChoiceField(choices=TicketStatus.choices, read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    department = DepartmentSerializer(read_only=True)
    service = serializers.IntegerField(source="service_id", read_only=True, allow_null=True)
    unread = serializers.BooleanField(read_only=True, help_text=_("A staff answer the caller has not opened."))

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "status",
            "priority",
            "department",
            "service",
            "created_at",
            "last_message_at",
            "unread",
        ]


class TicketDetailSerializer(TicketSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]

    def get_messages(self, ticket: Ticket) -> list[dict[str, Any]]:
        from ..selectors import client_thread

        return MessageSerializer(client_thread(ticket), many=True, context=self.context).data  # type: ignore[return-value]


class ReplyRequestSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=20000)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text=_("multipart/form-data only.")
    )


class TicketRequestSerializer(ReplyRequestSerializer):
    subject = serializers.CharField(max_length=200)
    department = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    service = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
