"""The Goods/Services filters, shared by the client area and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openbill.catalog.models import ProductType
from openbill.core.ordering import StableOrderingFilter

from .choices import Label
from .models import Service


class ServiceFilterSet(django_filters.FilterSet):
    id = django_filters.NumberFilter(field_name="id", label=_("id"))
    status = django_filters.ChoiceFilter(choices=Label.choices, method="filter_status", label=_("Status"))
    product_type = django_filters.ModelChoiceFilter(
        queryset=ProductType.objects.none(), field_name="product_type", label=_("Product type")
    )
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    ordering = StableOrderingFilter(
        fields=(("id", "id"), ("name", "name"), ("expires_at", "expires_at"), ("status", "status")),
        label=_("Sort by"),
    )

    class Meta:
        model = Service
        fields = ["id", "status", "product_type", "name"]

    def __init__(self, *args: object, client: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        provider_id = getattr(client, "provider_id", None)
        self.filters["product_type"].queryset = ProductType.objects.filter(provider_id=provider_id or 0)  # type: ignore[attr-defined]

    def filter_status(self, queryset: QuerySet[Service], name: str, value: str) -> QuerySet[Service]:
        return queryset.with_label(value) if value else queryset  # type: ignore[attr-defined]
