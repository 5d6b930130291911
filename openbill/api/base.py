"""Building blocks every API view uses: the caller's client and its permission.

See the package docstring (openbill/api/__init__.py) for how they fit together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import generics, permissions
from rest_framework.request import Request

from openbill.accounts.selectors import client_of

from .permissions import IsUser

if TYPE_CHECKING:
    from openbill.clients.models import Client


def request_client(request: Request) -> Client | None:
    """The caller's client account, resolved from the user DRF authenticated (session or token).

    ``request.client`` (the middleware's lazy attribute) is the same thing for session callers;
    for a token the user is only known once DRF has authenticated, so resolve it from here.
    """
    return client_of(request.user)


class HasClient(permissions.BasePermission):
    """The caller belongs to a client account. Staff without one get 403: the client API shows a
    client's own data, and staff have the admin for everyone's."""

    message = _("This endpoint shows a client account's own data; your user has no client account.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request_client(request) is not None)


class ClientScopedMixin(generics.GenericAPIView[Any]):
    """For views over one client's data: authenticated, with a client, and ``self.client`` set.

    ``get_queryset`` must start from ``self.client`` (``Service.objects.for_client(self.client)``),
    so another client's id is simply not found (404), never "forbidden".
    """

    permission_classes = [IsUser, HasClient]

    @property
    def client(self) -> Client:
        client = request_client(self.request)
        assert client is not None  # HasClient has run
        return client
