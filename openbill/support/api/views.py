"""Support in the API: ``/api/v1/tickets/`` (list, ask, read, reply, close), the departments
and attachment downloads. Scoped to the caller's client: another client's ticket or file is a
404, and the thread never includes staff's internal notes. Asking and replying take an
``Idempotency-Key``, so a retried POST never posts twice."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.api.parsers import JSONParser, MultiPartParser
from openbill.core.actors import Actor
from openbill.core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from openbill.core.replica import ReplicaReadsMixin

from .. import actions, selectors
from ..files import download_response
from ..models import Department, Ticket
from . import serializers as s


class TicketViewSet(
    ReplicaReadsMixin,
    ClientScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Ticket],
):
    """The caller's tickets, newest activity first."""

    queryset = Ticket.objects.none()
    serializer_class = s.TicketSerializer
    parser_classes = [JSONParser, MultiPartParser]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.client_tickets(self.client)

    def get_serializer_class(self) -> Any:
        return (
            s.TicketDetailSerializer if self.action in ("retrieve", "reply", "close", "create") else s.TicketSerializer
        )

    def _detail(self, ticket: Ticket, status: int = 200) -> Response:
        return Response(
            s.TicketDetailSerializer(self.get_queryset().get(pk=ticket.pk), context=self.get_serializer_context()).data,
            status=status,
        )

    @extend_schema(
        summary="Ask a question (optionally about one of the caller's services)",
        request={"application/json": s.TicketRequestSerializer, "multipart/form-data": s.TicketRequestSerializer},
        responses={201: s.TicketDetailSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        body = s.TicketRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ticket = actions.open_ticket(
            self.client,
            subject=data["subject"],
            body=data["body"],
            department=data.get("department"),
            service=data.get("service"),
            priority=data["priority"],
            files=data.get("attachments") or [],
            actor=Actor.client_of(request),
            now=timezone.now(),
        )
        return self._detail(ticket, status=201)

    @extend_schema(
        summary="Reply (a closed ticket opens again)",
        request={"application/json": s.ReplyRequestSerializer, "multipart/form-data": s.ReplyRequestSerializer},
        responses=s.TicketDetailSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reply(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = s.ReplyRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        actions.client_reply(
            ticket,
            body=body.validated_data["body"],
            files=body.validated_data.get("attachments") or [],
            actor=Actor.client_of(request),
            now=timezone.now(),
        )
        return self._detail(ticket)

    @extend_schema(summary="Close the ticket", request=None, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        actions.close_ticket(ticket, actor=Actor.client_of(request), now=timezone.now())
        return self._detail(ticket)


class DepartmentListView(ClientScopedMixin, generics.ListAPIView[Department]):
    """Where a question may go."""

    serializer_class = s.DepartmentSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Department]:
        return Department.objects.filter(provider=self.client.provider_id, is_abuse=False).order_by("position", "name")


class AttachmentView(ClientScopedMixin, generics.GenericAPIView[Any]):
    filter_backends: list[Any] = []

    @extend_schema(summary="Download an attachment", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        item = selectors.client_attachment(self.client, pk)
        if item is None:
            raise Http404
        return download_response(item)
