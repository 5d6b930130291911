"""Payments API: methods, the client's payments, and top-ups through a method."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.api.parsers import JSONParser
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from openbill.core.urls import absolute_url
from openbill.orders.models import Order, OrderStatus

from .. import actions
from ..models import Payment
from . import serializers as s


class PaymentMethodsView(ClientScopedMixin, generics.ListAPIView):  # type: ignore[type-arg]
    """The payment methods the caller may top up with, paginated like every list."""

    filter_backends: list[Any] = []
    serializer_class = s.PaymentMethodSerializer
    parser_classes = [JSONParser]

    def get_queryset(self) -> Any:
        return [
            {
                "code": m.code,
                "label": str(m.label),
                "refunds": m.supports_refund,
                "confirmed_by_staff": m.confirmed_by_staff,
            }
            for m in actions.available_methods()
        ]


class PaymentViewSet(
    ClientScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Payment]
):
    """The client's payments (top-ups). ``POST`` starts one and says where to send the client."""

    queryset = Payment.objects.none()
    extra_error_statuses = (422,)
    serializer_class = s.PaymentSerializer
    parser_classes = [JSONParser]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Payment]:
        return Payment.objects.for_client(self.client).order_by("-id")

    @extend_schema(
        request=s.TopUpSerializer, responses={201: s.StartedPaymentSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def create(self, request: Request) -> Response:
        body = s.TopUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        order = None
        if data.get("order"):
            order = Order.objects.for_client(self.client).filter(pk=data["order"], status=OrderStatus.PENDING).first()
            if order is None:
                raise DomainError(_("No such pending order."), field="order")
        payment, result = actions.start_payment(
            self.client,
            method=data["method"],
            amount=data["amount"],
            currency=data.get("currency"),
            order=order,
            actor=Actor.client_of(request),
            now=timezone.now(),
            return_url=absolute_url(reverse("clientarea:payments")),
        )
        return Response(
            {
                "payment": s.PaymentSerializer(payment).data,
                "redirect_url": result.redirect_url,
                "instructions": result.instructions,
            },
            status=201,
        )
