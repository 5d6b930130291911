"""Invoices and credit notes of the caller's client, their PDF, and the billing profile."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.api.parsers import JSONParser
from openbill.api.permissions import IsStaff
from openbill.api.schema import error_responses
from openbill.core.actors import Actor

from .. import actions, promo, selectors
from ..http import pdf_response
from ..models import BillingProfile, Document, PromoCode
from . import serializers as s


class DocumentViewSet(
    ClientScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Document]
):
    """The client's invoices and credit notes (``kind``), newest first."""

    queryset = Document.objects.none()
    filter_backends: list[Any] = []
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Document]:
        documents = selectors.documents_for(self.client).select_related("corrects")
        if self.action == "retrieve":
            documents = documents.prefetch_related("lines")
        return documents

    def get_serializer_class(self) -> Any:
        return s.DocumentListSerializer if self.action == "list" else s.DocumentSerializer

    @extend_schema(summary="Download the PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return pdf_response(self.get_object())


class BillingProfileView(ClientScopedMixin, generics.GenericAPIView[Any]):
    """Who the client's invoices are made out to. Required before the first payment when the
    provider issues invoices. A VAT number is checked at once (format, check digit) and then
    against VIES; ``vat_status`` says where that stands."""

    serializer_class = s.BillingProfileSerializer
    parser_classes = [JSONParser]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[BillingProfile]:
        return BillingProfile.objects.filter(client=self.client)

    def get_object(self) -> BillingProfile:
        profile = selectors.billing_profile(self.client)
        if profile is None:
            raise Http404
        return profile

    # 404 before the client has entered its billing details.
    @extend_schema(responses={200: s.BillingProfileSerializer, **error_responses(404)})
    def get(self, request: Request) -> Response:
        return Response(s.BillingProfileSerializer(self.get_object()).data)

    def put(self, request: Request) -> Response:
        body = s.BillingProfileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        profile = actions.save_billing_profile(
            self.client, dict(body.validated_data), actor=Actor.of(request), now=timezone.now()
        )
        return Response(s.BillingProfileSerializer(profile).data)


class StaffPromoCodeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[PromoCode]
):
    """Staff's promo codes, every provider's (``?provider=<id>`` for one). A code is never
    changed once made; it is ended (``deactivate``), and deleted only if no one used it."""

    permission_classes = [IsStaff]  # staff, past the TOTP code
    serializer_class = s.PromoCodeSerializer
    queryset = PromoCode.objects.none()
    filter_backends: list[Any] = []
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[PromoCode]:
        return selectors.staff_promo_codes(self.request.query_params.get("provider", ""), now=timezone.now())

    @extend_schema(responses={201: s.PromoCodeSerializer, **error_responses(400)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = s.PromoCodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        code = promo.create_code(dict(body.validated_data), now=timezone.now())
        return Response(self._read(code.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses={200: s.PromoCodeSerializer, **error_responses(409)}, summary="End the code now"
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        code = promo.deactivate_code(self.get_object(), now=timezone.now())
        return Response(self._read(code.pk))

    @extend_schema(responses={204: None, **error_responses(409)}, summary="Delete a code no one has used")
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        promo.delete_code(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _read(self, pk: int) -> Any:
        return s.PromoCodeSerializer(self.get_queryset().get(pk=pk)).data
