"""The Goods/Services filters, shared by the client area and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from openbill.catalog.models import ProductType
from openbill.core.ordering import StableOrderingFilter

from .choices import Label
from .models import Service

# ServiceFilterSet.get_form_class: (filter set class, language) -> form class.
_FORM_CLASSES: dict[tuple[type, str | None], type] = {}


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

    def get_form_class(self) -> type:
        """The form class, made once per filter set class and language instead of per request
        (django-filter builds a class and its fields each time). Its fields' texts are fixed when
        they are made (the sort order's "(descending)"), hence one per language; the one choice
        that depends on the request, the product types, is set on each form (``form``)."""
        key = (type(self), get_language())
        if (form_class := _FORM_CLASSES.get(key)) is None:
            form_class = _FORM_CLASSES[key] = super().get_form_class()
        return form_class

    @property
    def form(self) -> Any:
        if not hasattr(self, "_form"):
            field = super().form.fields["product_type"]
            if hasattr(field, "queryset"):  # a choice of the provider's types (the API's is an id)
                field.queryset = self.filters["product_type"].queryset
        return self._form

    def filter_status(self, queryset: QuerySet[Service], name: str, value: str) -> QuerySet[Service]:
        return queryset.with_label(value) if value else queryset  # type: ignore[attr-defined]
