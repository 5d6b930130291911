"""A service's IP addresses in the API: list, order one more IPv4 (an add-on of the tariff,
prorated through the change flow; ``Idempotency-Key``), delete an additional one, set the
reverse name. Scoped to the caller's client: another client's service or address is a 404.
Staff read the pools with their use."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from openbill.api.base import ClientScopedMixin
from openbill.api.fields import money_string
from openbill.api.parsers import JSONParser
from openbill.api.permissions import IsStaff
from openbill.core.actors import Actor
from openbill.core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from openbill.core.replica import ReplicaReadsMixin
from openbill.services.models import Service
from openbill.services.selectors import client_services

from .. import actions, selectors
from ..models import Address, AddressState, Pool
from . import serializers as s


class ServiceIpsBase(ClientScopedMixin, APIView):
    parser_classes = [JSONParser]

    def service(self, pk: int) -> Service:
        return generics.get_object_or_404(client_services(self.client).select_related("tariff", "product_type"), pk=pk)

    def address(self, service: Service, ip: str) -> Address:
        return generics.get_object_or_404(
            Address.objects.select_related("pool__dns_server", "service"),
            service=service,
            state=AddressState.ACTIVE,
            address=ip,
        )


class ServiceIpsView(ReplicaReadsMixin, ServiceIpsBase):
    serializer_class = s.AddressSerializer
    replica_actions = ("get",)  # the list; ordering (POST) charges, on the primary
    extra_error_statuses = (402,)

    @extend_schema(summary="The service's IP addresses", responses=s.AddressSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        # Paginated like every list of the API (a service has few addresses: one page).
        page = self.paginate_queryset(selectors.service_addresses(self.service(pk).pk))  # type: ignore[arg-type]  # a list pages like a queryset
        return self.get_paginated_response(s.AddressSerializer(page, many=True).data)

    @extend_schema(
        summary="Order one more IPv4 address (prorated, charged from the balance)",
        request=s.OrderAddressSerializer,
        responses={201: s.AddressSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        body = s.OrderAddressSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        address = actions.order_additional(
            service,
            actor=Actor.client_of(request),
            now=timezone.now(),
            expected_total=body.validated_data.get("expected_total"),
        )
        return Response(s.AddressSerializer(address).data, status=201)


class ServiceIpQuoteView(ServiceIpsBase):
    serializer_class = s.IpQuoteSerializer

    @extend_schema(summary="What one more IPv4 address costs now (prorated)", responses=s.IpQuoteSerializer)
    def get(self, request: Request, pk: int) -> Response:
        service = self.service(pk)
        if not actions.sells_additional_ipv4(service):
            # No such quote exists for this service (a GET answers what is there, or 404).
            raise NotFound(_("This tariff has no additional IPv4 addresses."))
        quote = actions.quote_additional(service, now=timezone.now(), delta=1)
        currency = self.client.currency
        return Response(
            {
                "total": money_string(quote.total, currency),
                "currency": currency,
                "lines": [
                    {"description": str(line.description), "amount": money_string(line.amount, currency)}
                    for line in quote.lines
                ],
            }
        )


class ServiceIpView(ServiceIpsBase):
    serializer_class = s.AddressSerializer

    @extend_schema(summary="Set or remove the address's reverse name (PTR)", request=s.PtrSerializer)
    def patch(self, request: Request, pk: int, ip: str) -> Response:
        address = self.address(self.service(pk), ip)
        body = s.PtrSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        address = actions.set_ptr(
            address, body.validated_data["ptr_name"], actor=Actor.client_of(request), now=timezone.now()
        )
        return Response(s.AddressSerializer(address).data)

    @extend_schema(summary="Delete an additional address (credited as removing an add-on)", responses={204: None})
    def delete(self, request: Request, pk: int, ip: str) -> Response:
        address = self.address(self.service(pk), ip)
        actions.delete_additional(address, actor=Actor.client_of(request), now=timezone.now())
        return Response(status=204)


class PoolListView(generics.ListAPIView):  # type: ignore[type-arg]
    """Staff: every pool with its size and the addresses taken."""

    serializer_class = s.PoolSerializer
    permission_classes = [IsStaff]  # staff, past the TOTP code

    def get_queryset(self) -> Any:
        return Pool.objects.prefetch_related("addresses").order_by("provider_id", "name", "pk")


class PoolDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    """Staff: one pool with every taken address and its service."""

    serializer_class = s.PoolDetailSerializer
    permission_classes = [IsStaff]

    def get_queryset(self) -> Any:
        return Pool.objects.prefetch_related("addresses")
