"""Payments API: methods, the client's payments, top-ups through a method, saved cards, paying
with one, and staff refunds."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.api.parsers import JSONParser
from openbill.api.permissions import IsStaff
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from openbill.core.urls import absolute_url
from openbill.orders.models import Order, OrderStatus

from .. import actions, cards
from ..models import Payment, SavedCard
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
            for m in actions.available_methods(self.client.provider_id, self.client.currency)
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
        order = _pending_order(self.client, data["order"]) if data.get("order") else None
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


def _pending_order(client: Any, pk: int) -> Order:
    order = Order.objects.for_client(client).filter(pk=pk, status=OrderStatus.PENDING).first()
    if order is None:
        raise DomainError(_("No such pending order."), field="order")
    return order


def _stripe_on(client: Any) -> None:
    if not cards.offered(client):
        raise NotFound(_("Card payments are not available."))


class SavedCardViewSet(
    ClientScopedMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[SavedCard]
):
    """The caller's saved cards (Stripe): add one through a SetupIntent confirmed in Stripe.js,
    choose the default charged at renewal, remove one."""

    queryset = SavedCard.objects.none()
    serializer_class = s.SavedCardSerializer
    parser_classes = [JSONParser]
    filter_backends: list[Any] = []
    extra_error_statuses = (404,)  # cards are not offered (Stripe is not configured)

    def get_queryset(self) -> QuerySet[SavedCard]:
        if not cards.offered(self.client):
            return SavedCard.objects.none()
        return SavedCard.objects.filter(client=self.client, removed_at__isnull=True).order_by("-is_default", "-id")

    @extend_schema(request=s.AddCardSerializer, responses={201: s.SavedCardSerializer})
    def create(self, request: Request) -> Response:
        _stripe_on(self.client)
        body = s.AddCardSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card = cards.save_card(
            self.client,
            body.validated_data["setup_intent"],
            make_default=body.validated_data["default"],
            now=timezone.now(),
        )
        return Response(s.SavedCardSerializer(card).data, status=201)

    @extend_schema(request=None, responses={201: s.CardSetupSerializer}, summary="Start adding a card")
    @action(detail=False, methods=["post"], url_path="setup")
    def start_setup(self, request: Request) -> Response:
        _stripe_on(self.client)
        setup_id, secret = cards.start_card_setup(self.client, now=timezone.now())
        return Response(
            {"setup_intent": setup_id, "client_secret": secret, "publishable_key": cards.publishable_key(self.client)},
            status=201,
        )

    @extend_schema(request=None, responses=s.SavedCardSerializer, summary="Make it the default card")
    @action(detail=True, methods=["post"])
    def default(self, request: Request, pk: str | None = None) -> Response:
        card = self.get_object()
        cards.set_default_card(card)
        return Response(s.SavedCardSerializer(card).data)

    def perform_destroy(self, instance: SavedCard) -> None:
        cards.remove_card(instance, now=timezone.now())


class PayByCardView(ClientScopedMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    """Pay a pending Stripe payment with a saved card. ``requires_action``: the bank wants the
    client, who confirms at ``redirect_url``; the payment is credited when Stripe confirms."""

    serializer_class = s.PayByCardSerializer
    parser_classes = [JSONParser]
    filter_backends: list[Any] = []
    extra_error_statuses = (409,)

    @extend_schema(
        request=s.PayByCardSerializer, responses={200: s.CardPaymentSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        _stripe_on(self.client)
        payment = get_object_or_404(Payment.objects.for_client(self.client), pk=pk)
        body = s.PayByCardSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card = SavedCard.objects.filter(
            client=self.client, removed_at__isnull=True, pk=body.validated_data["card"]
        ).first()
        if card is None:
            raise DomainError(_("Choose one of your cards."), field="card")
        outcome = cards.pay_with_card(payment, card=card, now=timezone.now())
        payment.refresh_from_db()
        return Response(
            {
                "payment": s.PaymentSerializer(payment).data,
                "outcome": outcome,
                "redirect_url": absolute_url(reverse("clientarea:payment_card", args=[payment.pk])),
            }
        )


class StaffRefundView(generics.GenericAPIView):  # type: ignore[type-arg]
    """Staff give money back for a payment: the balance is debited at once and a card payment is
    refunded to the card through its gateway in the background (the refund's status follows)."""

    permission_classes = [IsStaff]  # staff, past the TOTP code
    serializer_class = s.RefundRequestSerializer
    parser_classes = [JSONParser]
    filter_backends: list[Any] = []

    @extend_schema(
        request=s.RefundRequestSerializer, responses={201: s.RefundSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        payment = get_object_or_404(Payment.objects.all(), pk=pk)
        body = s.RefundRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        refund = actions.refund_payment(
            payment,
            amount=body.validated_data["amount"],
            reason=body.validated_data["reason"],
            actor=Actor.of(request),
            now=timezone.now(),
        )
        return Response(s.RefundSerializer(refund).data, status=201)
