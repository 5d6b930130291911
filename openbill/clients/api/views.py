"""Views of the clients API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.clients.models import Client

from .serializers import BalanceSerializer


class BalanceView(ClientScopedMixin):
    """The caller's balance: the sum of the ledger, the credit limit and what may still be spent."""

    queryset = Client.objects.none()
    serializer_class = BalanceSerializer

    @extend_schema(responses=BalanceSerializer)
    def get(self, request: Request) -> Response:
        return Response(BalanceSerializer(self.client).data)
