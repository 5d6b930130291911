"""Orders API: quote, cart, orders and paying them, renew (extend), change, configure.

Money-moving POSTs take an ``Idempotency-Key`` header (core.idempotency). Every lookup is
scoped to the caller's client, so another client's order, line or service is a 404.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from openbill.api.base import ClientScopedMixin
from openbill.api.fields import money_string
from openbill.api.parsers import JSONParser
from openbill.catalog.instructions import render_instructions
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition
from openbill.core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from openbill.services import rules
from openbill.services.models import Service
from openbill.services.selectors import client_services

from .. import actions, selectors
from ..models import Order, OrderLine, OrderStatus
from ..pricing import check_period, quote_new, tariffs_for
from . import serializers as s


def _decimal(value: str | None, field: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise DomainError(_("Enter an amount."), field=field) from None


def _lines() -> QuerySet[OrderLine]:
    return OrderLine.objects.select_related("service", "service__client__provider").order_by("id")


def _spec(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "tariff": data["tariff"],
        "period": data["period"],
        "addons": data.get("addons") or {},
        "parameters": data.get("parameters") or {},
        "quick": data.get("quick", False),
        "name": data.get("name", ""),
        "promo_code": data.get("promo_code", ""),
    }


class QuoteView(ClientScopedMixin, APIView):
    """The exact price of an order before deciding: period price, add-ons, setup fee."""

    serializer_class = s.OrderSpecSerializer
    may_conflict = False  # a quote changes nothing
    parser_classes = [JSONParser]

    @extend_schema(request=s.OrderSpecSerializer, responses=s.QuoteSerializer)
    def post(self, request: Request) -> Response:
        body = s.OrderSpecSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        spec = _spec(body.validated_data)
        spec.pop("name")
        return Response(s.quote_data(quote_new(self.client, **spec)))


class CartView(ClientScopedMixin, APIView):
    """The cart: services in status Ordered waiting for payment."""

    serializer_class = s.OrderSpecSerializer
    parser_classes = [JSONParser]

    extra_error_statuses = (402, 422)

    def _cart(self) -> dict[str, Any]:
        lines = list(
            OrderLine.objects.for_client(self.client)
            .in_cart()
            .select_related("service", "service__client__provider")
            .order_by("id")
        )
        total = sum((line.amount for line in lines), Decimal(0))
        return {
            "lines": s.OrderLineSerializer(lines, many=True).data,
            "total": money_string(total, self.client.currency),
            "currency": self.client.currency,
        }

    @extend_schema(responses=s.CartSerializer)
    def get(self, request: Request) -> Response:
        return Response(self._cart())

    @extend_schema(
        request=s.OrderSpecSerializer, responses={201: s.OrderLineSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def post(self, request: Request) -> Response:
        body = s.OrderSpecSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = actions.place_order(
            self.client, actor=Actor.client_of(request), now=timezone.now(), **_spec(body.validated_data)
        )
        return Response(s.OrderLineSerializer(_lines().get(pk=line.pk)).data, status=status.HTTP_201_CREATED)


class CartLineView(ClientScopedMixin, APIView):
    serializer_class = s.OrderLineSerializer
    parser_classes = [JSONParser]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        line = generics.get_object_or_404(OrderLine.objects.for_client(self.client).in_cart(), pk=pk)
        actions.remove_line(line, actor=Actor.client_of(request), now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartEmptyView(ClientScopedMixin, APIView):
    serializer_class = s.RemovedSerializer
    parser_classes = [JSONParser]

    @extend_schema(request=None, responses=s.RemovedSerializer)
    def post(self, request: Request) -> Response:
        removed = actions.empty_cart(self.client, actor=Actor.client_of(request), now=timezone.now())
        return Response({"removed": removed})


class CheckoutView(ClientScopedMixin, APIView):
    """Turn the cart into one order and (by default) pay it from the balance — all or nothing."""

    serializer_class = s.CheckoutSerializer
    parser_classes = [JSONParser]

    extra_error_statuses = (402, 422)

    @extend_schema(request=s.CheckoutSerializer, responses={201: s.OrderSerializer}, parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def post(self, request: Request) -> Response:
        body = s.CheckoutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = actions.checkout_and_pay(
            self.client, actor=Actor.client_of(request), now=timezone.now(), pay=body.validated_data["pay"]
        )
        return Response(s.OrderSerializer(_order_queryset(self.client).get(pk=order.pk)).data, status=201)


def _order_queryset(client: Any) -> QuerySet[Order]:
    return Order.objects.for_client(client).prefetch_related(Prefetch("lines", queryset=_lines()))


class OrderViewSet(ClientScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Order]):
    """The client's orders (pending payment and paid); ``POST`` orders and pays at once."""

    queryset = Order.objects.none()
    serializer_class = s.OrderSerializer
    parser_classes = [JSONParser]
    extra_error_statuses = (402, 422)
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Order]:
        return _order_queryset(self.client).order_by("-id")

    @extend_schema(request=s.OrderNowSerializer, responses={201: s.OrderSerializer}, parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request: Request) -> Response:
        body = s.OrderNowSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor, now = Actor.client_of(request), timezone.now()
        with transaction.atomic():
            order = actions.order_now(self.client, actor=actor, now=now, **_spec(body.validated_data))
            if body.validated_data["pay"]:
                order = actions.pay_order(order, actor=actor, now=now)
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data, status=201)

    @extend_schema(request=None, responses=s.OrderSerializer, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def pay(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        with transaction.atomic():
            # Under the order's lock: a second payment of a paid order (another key, another
            # caller) is an illegal state change, answered with the order as it is.
            if Order.objects.select_for_update().get(pk=order.pk).status == OrderStatus.PAID:
                raise IllegalTransition(
                    _("This order is already paid."),
                    order=self.get_serializer(self.get_queryset().get(pk=order.pk)).data,
                )
            actions.pay_order(order, actor=Actor.client_of(request), now=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)


class ServiceActionView(ClientScopedMixin, APIView):
    def service(self, pk: int) -> Service:
        return generics.get_object_or_404(client_services(self.client), pk=pk)


class RenewQuoteView(ServiceActionView):
    serializer_class = s.RenewQuoteRequestSerializer
    parser_classes = [JSONParser]

    @extend_schema(request=s.RenewQuoteRequestSerializer, responses=s.RenewQuoteSerializer)
    def post(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        body = s.RenewQuoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rules.check_allowed(service, rules.Action.EXTEND)
        tariff = tariffs_for(self.client.provider).get(pk=service.tariff_id)
        period = check_period(tariff, body.validated_data.get("period") or service.period)
        quote = selectors.extension_quote(service, period, now=timezone.now(), tz=self.client.provider.tz)
        return Response(
            {
                "period": period,
                "amount": money_string(quote.amount or Decimal(0), self.client.currency),
                "net": money_string(quote.tax.net if quote.tax else Decimal(0), self.client.currency),
                "tax": money_string(quote.tax.tax if quote.tax else Decimal(0), self.client.currency),
                "tax_name": quote.tax.name if quote.tax else "",
                "currency": self.client.currency,
                "period_start": quote.start,
                "period_end": quote.end,
            }
        )


class RenewView(ServiceActionView):
    """Extend the validity period: pay one period from the balance; expiry = max(expiry, now) + period."""

    serializer_class = s.RenewRequestSerializer
    parser_classes = [JSONParser]

    extra_error_statuses = (402, 422)

    @extend_schema(request=s.RenewRequestSerializer, responses=s.RenewalSerializer, parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        body = s.RenewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        renewal = actions.extend_service(
            service,
            period=body.validated_data.get("period") or service.period,
            actor=Actor.client_of(request),
            now=timezone.now(),
            expected_start=body.validated_data.get("expected_start"),
        )
        return Response(
            {
                "service": service.pk,
                "charged": renewal.created,
                "amount": money_string(renewal.expense.amount, renewal.expense.currency),
                "currency": renewal.expense.currency,
                "period_start": renewal.period_start,
                "expires_at": renewal.period_end,
            }
        )


class ChangeQuoteView(ServiceActionView):
    """The exact amount of a change before confirming it (prorated; see the README)."""

    serializer_class = s.ChangeQuoteRequestSerializer
    parser_classes = [JSONParser]

    @extend_schema(request=s.ChangeQuoteRequestSerializer, responses=s.ChangeQuoteSerializer)
    def post(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        body = s.ChangeQuoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rules.check_allowed(service, rules.Action.EDIT)
        quote = selectors.change_quote(
            service,
            now=timezone.now(),
            tariff=body.validated_data.get("tariff"),
            addons=body.validated_data.get("addons"),
        )
        return Response(s.change_quote_data(quote, self.client.currency))


class ChangeView(ServiceActionView):
    """Change add-ons, tariff (prorated) and auto-renewal; resources go to the module."""

    serializer_class = s.ChangeRequestSerializer
    parser_classes = [JSONParser]

    extra_error_statuses = (402, 422)

    @extend_schema(
        request=s.ChangeRequestSerializer, responses=s.ChangeResultSerializer, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        body = s.ChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        line = actions.change_service(
            service,
            actor=Actor.client_of(request),
            now=timezone.now(),
            tariff=data.get("tariff"),
            addons=data.get("addons"),
            auto_renew=data.get("auto_renew"),
            period=data.get("period"),
            expected_total=_decimal(data.get("expected_total"), "expected_total"),
        )
        service.refresh_from_db()
        return Response(
            {
                "line": s.OrderLineSerializer(_lines().get(pk=line.pk)).data if line else None,
                "auto_renew": service.auto_renew,
                "period": service.period,
                "tariff": service.tariff_id,
                "operation": service.operation,
            }
        )


class ConfigureView(ServiceActionView):
    """A quick order's parameters; activation starts once none is missing."""

    serializer_class = s.ConfigureSerializer
    parser_classes = [JSONParser]

    @extend_schema(request=s.ConfigureSerializer, responses=s.ConfiguredSerializer)
    def post(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        body = s.ConfigureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = actions.configure_service(
            service, body.validated_data["parameters"], actor=Actor.client_of(request), now=timezone.now()
        )
        return Response({"service": done.pk, "status": done.status, "label": done.label})


class InstructionsView(ServiceActionView):
    serializer_class = s.InstructionsSerializer
    parser_classes = [JSONParser]

    @extend_schema(responses=s.InstructionsSerializer)
    def get(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        return Response({"service": service.pk, "text": render_instructions(service)})
