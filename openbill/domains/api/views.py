"""Domains in the API: ``/api/v1/domains/`` (the caller's domains, Check, order, contacts, and
a domain's NS and Whois). Scoped to the caller's client: another client's domain or contact is
a 404. Ordering takes an ``Idempotency-Key``."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from openbill.api.base import ClientScopedMixin
from openbill.api.fields import money_string
from openbill.api.parsers import JSONParser, MultiPartParser
from openbill.core.actors import Actor
from openbill.core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from openbill.core.replica import ReplicaReadsMixin
from openbill.orders.api.serializers import OrderLineSerializer
from openbill.orders.models import OrderLine

from .. import actions, operations, selectors
from . import serializers as s


class _Domains(ReplicaReadsMixin, ClientScopedMixin, APIView):
    lookup_field = "service_id"
    lookup_url_kwarg = "pk"
    replica_actions = ("get",)  # every GET here only reads

    def get_queryset(self) -> Any:
        return selectors.client_domains(self.client)


class _Contacts(ReplicaReadsMixin, ClientScopedMixin, APIView):
    replica_actions = ("get",)  # every GET here only reads

    def get_queryset(self) -> Any:
        return selectors.client_contacts(self.client)


class DomainListView(_Domains):
    """The caller's domains."""

    serializer_class = s.DomainSerializer

    @extend_schema(responses=s.DomainSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.client_domains(self.client).order_by("-id"))
        return self.get_paginated_response(s.DomainSerializer(page, many=True).data)


class CheckView(_Domains):
    """Availability and 1-year prices of the names typed (Check); refused names with the reason."""

    serializer_class = s.CheckRequestSerializer
    parser_classes = [JSONParser]

    @extend_schema(request=s.CheckRequestSerializer, responses=s.CheckResponseSerializer)
    def post(self, request: Request) -> Response:
        body = s.CheckRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        answer = actions.check_names(self.client.provider, body.validated_data["names"])
        currency = self.client.currency
        results = [
            {
                **row,
                "zone": row["zone"].name,
                "register_price": money_string(row["register_price"], currency)
                if row["register_price"] is not None
                else None,
                "transfer_price": money_string(row["transfer_price"], currency)
                if row["transfer_price"] is not None
                else None,
            }
            for row in answer["results"]
        ]
        return Response(s.CheckResponseSerializer({"results": results, "refused": answer["refused"]}).data)


class OrderView(_Domains):
    """Put a registration or a transfer in the cart (paid with the cart)."""

    serializer_class = s.OrderRequestSerializer
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.OrderRequestSerializer, responses={201: OrderLineSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def post(self, request: Request) -> Response:
        body = s.OrderRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = actions.order_from_request(
            self.client, body.validated_data, actor=Actor.client_of(request), now=timezone.now()
        )
        line = OrderLine.objects.select_related("service").get(pk=line.pk)
        return Response(OrderLineSerializer(line).data, status=status.HTTP_201_CREATED)


class ContactListView(_Contacts):
    """The caller's domain contacts; POST adds one."""

    serializer_class = s.ContactSerializer
    parser_classes = [JSONParser]

    @extend_schema(responses=s.ContactSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.client_contacts(self.client).order_by("id"))
        return self.get_paginated_response(s.ContactSerializer(page, many=True).data)

    @extend_schema(request=s.ContactSerializer, responses={201: s.ContactSerializer})
    def post(self, request: Request) -> Response:
        body = s.ContactSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contact = actions.create_contact(self.client, dict(body.validated_data))
        return Response(s.ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactView(_Contacts):
    """One of the caller's contacts. A person never becomes an organisation (400)."""

    serializer_class = s.ContactSerializer
    parser_classes = [JSONParser]

    def _contact(self, pk: int) -> Any:
        return get_object_or_404(selectors.client_contacts(self.client), pk=pk)

    @extend_schema(responses=s.ContactSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ContactSerializer(self._contact(pk)).data)

    @extend_schema(request=s.ContactSerializer, responses=s.ContactSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        contact = self._contact(pk)
        body = s.ContactSerializer(contact, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        updated = actions.update_contact(
            contact, dict(body.validated_data), actor=Actor.client_of(request), now=timezone.now()
        )
        return Response(s.ContactSerializer(updated).data)


class DomainView(_Domains):
    """One of the caller's domains, by its service id: NS, cached Whois, verification status."""

    serializer_class = s.DomainSerializer

    @extend_schema(responses=s.DomainSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            s.DomainSerializer(get_object_or_404(selectors.client_domains(self.client), service_id=pk)).data
        )


class NsView(_Domains):
    """Set the name servers: kept before payment, sent to the registrar once registered (the
    domain shows *In progress* until the registrar confirms). 409 while another operation runs."""

    serializer_class = s.NsRequestSerializer
    parser_classes = [JSONParser]
    extra_error_statuses = (409,)

    @extend_schema(request=s.NsRequestSerializer, responses=s.DomainSerializer)
    def put(self, request: Request, pk: int) -> Response:
        domain = get_object_or_404(selectors.client_domains(self.client), service_id=pk)
        body = s.NsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        domain = actions.set_ns(domain, body.validated_data["ns"], actor=Actor.client_of(request), now=timezone.now())
        return Response(s.DomainSerializer(selectors.client_domains(self.client).get(pk=domain.pk)).data)


class DomainContactsView(_Domains):
    """Put other contacts of the caller's on the domain: only while it is being processed or
    stopped (409 otherwise); a stopped domain's change goes to the registrar."""

    serializer_class = s.DomainContactsSerializer
    parser_classes = [JSONParser]
    extra_error_statuses = (409,)

    @extend_schema(request=s.DomainContactsSerializer, responses=s.DomainSerializer)
    def put(self, request: Request, pk: int) -> Response:
        domain = get_object_or_404(selectors.client_domains(self.client), service_id=pk)
        body = s.DomainContactsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        domain = actions.replace_contacts(
            domain,
            {role: body.validated_data.get(role) for role in ("owner", "admin", "tech", "billing")},
            actor=Actor.client_of(request),
            now=timezone.now(),
        )
        return Response(s.DomainSerializer(selectors.client_domains(self.client).get(pk=domain.pk)).data)


class WhoisView(_Domains):
    """Fetch the registration data again (the worker does it; GET the domain for the result)."""

    serializer_class = s.DomainSerializer

    @extend_schema(request=None, responses={202: s.DomainSerializer})
    def post(self, request: Request, pk: int) -> Response:
        domain = get_object_or_404(selectors.client_domains(self.client), service_id=pk)
        operations.request_whois(domain)
        return Response(s.DomainSerializer(domain).data, status=status.HTTP_202_ACCEPTED)


class DelegationView(_Domains):
    """Check the delegation in DNS again (the worker does it; GET the domain for the result)."""

    serializer_class = s.DomainSerializer

    @extend_schema(request=None, responses={202: s.DomainSerializer})
    def post(self, request: Request, pk: int) -> Response:
        domain = get_object_or_404(selectors.client_domains(self.client), service_id=pk)
        operations.request_delegation_check(domain)
        return Response(s.DomainSerializer(domain).data, status=status.HTTP_202_ACCEPTED)


class VerifyView(_Domains):
    """Verify: send one or two documents to the registrar (zones with document verification);
    409 when the zone needs none or they were already sent."""

    serializer_class = s.VerifyRequestSerializer
    parser_classes = [MultiPartParser]
    extra_error_statuses = (409,)

    @extend_schema(request={"multipart/form-data": s.VerifyRequestSerializer}, responses=s.DomainSerializer)
    def post(self, request: Request, pk: int) -> Response:
        domain = get_object_or_404(selectors.client_domains(self.client), service_id=pk)
        body = s.VerifyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        domain = operations.submit_verification(
            domain, body.validated_data["documents"], actor=Actor.client_of(request), now=timezone.now()
        )
        return Response(s.DomainSerializer(selectors.client_domains(self.client).get(pk=domain.pk)).data)


class RestoreView(_Domains):
    """Restore a domain in redemption (``phase`` "redemption"): the zone's restore price and one
    year's renewal are charged from the balance (402 when it is short), the registrar restores
    and renews it (the domain shows *In progress* until the registry confirms). 409 when the
    domain is not in redemption, its zone sells no restore, or a restore is already under way."""

    serializer_class = s.DomainSerializer
    extra_error_statuses = (402, 409)

    @extend_schema(request=None, responses={202: s.DomainSerializer})
    def post(self, request: Request, pk: int) -> Response:
        domain = get_object_or_404(selectors.client_domains(self.client), service_id=pk)
        actions.restore_domain(domain, actor=Actor.client_of(request), now=timezone.now())
        domain = selectors.client_domains(self.client).get(pk=domain.pk)
        return Response(s.DomainSerializer(domain).data, status=status.HTTP_202_ACCEPTED)
