"""Support in the API: tickets and their threads as the client sees them (no internal notes)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from openbill.api.fields import StrictCharField, StrictChoiceField

from ..models import Attachment, Department, Message, Priority, Ticket, TicketStatus
from ..selectors import client_thread


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
    body = serializers.CharField(
        source="text", read_only=True, help_text="The message; the system's own in the request's language."
    )
    body_kind = serializers.CharField(
        read_only=True, help_text="Empty for what a person wrote; else what the system wrote, as a code."
    )
    body_params = serializers.DictField(read_only=True, help_text="The code's parameters (times in ISO 8601).")

    class Meta:
        model = Message
        fields = ["id", "author_kind", "author", "body", "body_kind", "body_params", "created_at", "attachments"]


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    status = serializers.ChoiceField(choices=TicketStatus.choices, read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    department = DepartmentSerializer(read_only=True)
    service = serializers.IntegerField(source="service_id", read_only=True, allow_null=True)
    unread = serializers.BooleanField(read_only=True, help_text=_("A staff answer the caller has not opened."))
    subject = serializers.CharField(
        source="title",
        read_only=True,
        help_text=_("In the request's language where the system wrote it (Accept-Language)."),
    )

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
        return MessageSerializer(client_thread(ticket), many=True, context=self.context).data  # type: ignore[return-value]


def _is_form(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    request = field.context.get("request")
    return bool(request is not None and str(request.content_type).startswith("multipart/"))


class IdField(serializers.IntegerField):
    """An id: a JSON integer, or its digits in a multipart form (where every value is text)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, str) and _is_form(self))):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class ReplyRequestSerializer(serializers.Serializer[Any]):
    body = StrictCharField(max_length=20000)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text=_("multipart/form-data only.")
    )


class TicketRequestSerializer(ReplyRequestSerializer):
    subject = StrictCharField(max_length=200)
    department = IdField(required=False, allow_null=True, min_value=1)
    service = IdField(required=False, allow_null=True, min_value=1)
    priority = StrictChoiceField(choices=Priority.choices, default=Priority.NORMAL)
