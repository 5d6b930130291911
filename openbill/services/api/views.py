"""Services in the API: the Goods/Services list, a service, its History, the dashboard widgets.

Every queryset starts from the caller's client (services.selectors), so another client's id is
a 404. The lists use the same selectors and filterset as the client area.
"""

from __future__ import annotations

import builtins
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.api.filters import IdFilter, OrderingFilter, ordering_parameter
from openbill.core.replica import ReplicaReadsMixin
from openbill.metering.selectors import overage_widget_rows
from openbill.services import selectors
from openbill.services.choices import Label, Status
from openbill.services.filtersets import ServiceFilterSet
from openbill.services.models import Service, ServiceEvent

from .serializers import (
    ActiveServiceRowSerializer,
    OverageRowSerializer,
    ServiceDetailSerializer,
    ServiceEventSerializer,
    ServiceSerializer,
)


class ApiServiceFilterSet(ServiceFilterSet):
    """The client area's filters, with ids as the API's integers: an unknown product type or id
    matches nothing (the client area's select cannot offer one; an API caller can ask).

    Each filter is named after the field of the answer it matches: ``status`` the confirmed
    status, ``label_code`` the client-visible label (``in_progress``, ``suspended_admin`` …; the
    client area's "Status" filter); ``ordering`` takes several keys."""

    id = IdFilter(field_name="id", label="The service's id.")
    product_type = IdFilter(field_name="product_type_id", label="A product type's id.")
    status = django_filters.ChoiceFilter(
        choices=Status.choices,
        field_name="status",
        label="The confirmed status (the status field), whatever operation is running.",
    )
    label_code = django_filters.ChoiceFilter(
        choices=Label.choices,
        method="filter_status",
        label="The client-visible label (the label_code field): in_progress, suspended_admin…",
    )
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Part of the name, any case.")
    ordering = OrderingFilter(
        fields=(("id", "id"), ("name", "name"), ("expires_at", "expires_at"), ("status", "status")),
        label=_("Sort by"),
    )

    class Meta(ServiceFilterSet.Meta):
        fields = ["id", "status", "label_code", "product_type", "name"]


class NowContextMixin:
    """One ``now`` per request for every row's "Expires …"/"Stopped …"."""

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        context["now"] = timezone.now()
        context["renew_costs"] = selectors.RenewCosts()  # the page's prices, once per configuration
        return context


@extend_schema_view(
    list=extend_schema(
        summary="The caller's services (Goods/Services), filtered and sorted",
        parameters=[ordering_parameter(ApiServiceFilterSet)],
    ),
    retrieve=extend_schema(summary="One service: status, parameters, add-ons, expiry, renewal cost"),
)
class ServiceViewSet(ReplicaReadsMixin, ClientScopedMixin, NowContextMixin, viewsets.ReadOnlyModelViewSet[Service]):
    """The caller's services. ``status`` filters by the confirmed status, ``label_code`` by the
    client-visible label (``in_progress``, ``suspended_admin`` …); ``label`` is that label in
    words, with the running operation."""

    queryset = Service.objects.none()  # the model, for the schema; get_queryset scopes
    filterset_class = ApiServiceFilterSet
    replica_actions = ("list", "retrieve", "history")

    def get_queryset(self) -> QuerySet[Service]:
        if self.action == "list":
            return selectors.client_service_rows(self.client)  # the page is priced below
        return selectors.client_services(self.client)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """DRF's list, each row written by one ``ServiceSerializer``: through a ``ListSerializer``
        (which points at its rows' serializer and back) a page's services and add-on lines were
        freed only by Python's cyclic collector."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer()
        rows = [serializer.to_representation(service) for service in (queryset if page is None else page)]
        return Response(rows) if page is None else self.get_paginated_response(rows)

    def paginate_queryset(self, queryset: Any) -> builtins.list[Any] | None:
        page = super().paginate_queryset(queryset)
        if page is None or self.action != "list":
            return page
        return selectors.priced(page, self.client)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "retrieve":
            return ServiceDetailSerializer
        if self.action == "history":
            return ServiceEventSerializer
        return ServiceSerializer

    @extend_schema(summary="A service's History of changes, newest first", responses=ServiceEventSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        service = get_object_or_404(Service.objects.for_client(self.client), pk=pk)
        events = ServiceEvent.objects.filter(service=service).order_by("-at", "-id")
        page = self.paginate_queryset(events)  # type: ignore[arg-type]
        return self.get_paginated_response(
            ServiceEventSerializer(page, many=True, context=self.get_serializer_context()).data
        )


@extend_schema(summary="The dashboard's Active Services widget")
class ActiveServicesView(ReplicaReadsMixin, ClientScopedMixin, NowContextMixin, generics.ListAPIView[Service]):
    """Active and suspended services, soonest expiry first: "Expires 2025-08-07" or "Stopped
    2025-07-01", auto-renewal, and the renewal cost of one period with add-ons ("1.00 USD/day")."""

    queryset = Service.objects.none()
    serializer_class = ActiveServiceRowSerializer
    filter_backends: list[Any] = []
    replica_actions = ("get",)

    def get_queryset(self) -> QuerySet[Service]:
        return selectors.active_services(self.client)


@extend_schema(summary="The dashboard's Services with overages widget (current reporting period)")
class OveragesView(ReplicaReadsMixin, ClientScopedMixin, NowContextMixin, generics.ListAPIView[Any]):
    """Services with overage in the current reporting period and its total cost so far. Empty
    until usage has been recorded."""

    serializer_class = OverageRowSerializer
    filter_backends: list[Any] = []
    replica_actions = ("get",)
    queryset = Service.objects.none()  # for the schema; rows come from metering

    def get_queryset(self) -> Any:
        return overage_widget_rows(self.client, timezone.now())
