"""The catalog of the caller's provider. Only orderable tariffs are shown."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets

from openbill.api.base import ClientScopedMixin
from openbill.api.filters import IdFilter
from openbill.catalog.models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    PeriodPrice,
    ProductKind,
    ProductType,
    TariffPlan,
)

from .serializers import ProductTypeSerializer, TariffSerializer


class ProductTypeFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ProductKind.choices, label=_("Kind"))

    class Meta:
        model = ProductType
        fields = ["kind"]


class TariffFilterSet(django_filters.FilterSet):
    product_type = IdFilter(field_name="product_type_id", label=_("Product type"))

    class Meta:
        model = TariffPlan
        fields = ["product_type"]


class ProductTypeViewSet(ClientScopedMixin, viewsets.ReadOnlyModelViewSet[ProductType]):
    """The kinds of service the caller's provider sells, with the parameters their services need."""

    queryset = ProductType.objects.none()
    serializer_class = ProductTypeSerializer
    filterset_class = ProductTypeFilterSet

    def get_queryset(self) -> QuerySet[ProductType]:
        return (
            ProductType.objects.filter(provider_id=self.client.provider_id)
            .prefetch_related("parameters")
            .order_by("name", "id")
        )


class TariffViewSet(ClientScopedMixin, viewsets.ReadOnlyModelViewSet[TariffPlan]):
    """Orderable tariffs of the caller's provider: prices per period with setup fees, add-ons with
    their unit prices, enumeration items with theirs, and the tariffs a service may change to."""

    queryset = TariffPlan.objects.none()
    serializer_class = TariffSerializer
    filterset_class = TariffFilterSet

    def get_queryset(self) -> QuerySet[TariffPlan]:
        return (
            TariffPlan.objects.filter(orderable=True, product_type__provider_id=self.client.provider_id)
            .prefetch_related(
                Prefetch("prices", queryset=PeriodPrice.objects.order_by("id")),
                Prefetch(
                    "addons",
                    queryset=Addon.objects.order_by("position", "id").prefetch_related(
                        Prefetch("prices", queryset=AddonPrice.objects.order_by("id")),
                        Prefetch(
                            "items",
                            queryset=AddonEnumItem.objects.filter(enabled=True).order_by("position", "id"),
                        ),
                    ),
                ),
                "changeable_to",
            )
            .order_by("position", "name", "id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["currency"] = self.client.currency
        return context
