"""Views of the billing API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets

from openbill.api.base import ClientScopedMixin
from openbill.api.filters import IdFilter
from openbill.billing.models import EntryKind, LedgerEntry

from .serializers import LedgerEntrySerializer


class LedgerFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=EntryKind.choices, label=_("Kind"))
    service = IdFilter(field_name="service_id", label=_("Service id"))

    class Meta:
        model = LedgerEntry
        fields = ["kind", "service"]


class LedgerViewSet(ClientScopedMixin, viewsets.ReadOnlyModelViewSet[LedgerEntry]):
    """The caller's ledger, newest first: payments, charges, refunds and corrections, each with
    the balance after it."""

    queryset = LedgerEntry.objects.none()
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerFilterSet

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        return LedgerEntry.objects.filter(client=self.client).select_related("service").order_by("-created_at", "-id")
