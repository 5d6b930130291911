"""``/me/`` and ``/tokens/``: scoped to the authenticated user (staff included)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from openbill.accounts.models import ApiToken, User
from openbill.accounts.twofactor import RecentlyAuthenticated
from openbill.api.base import request_client
from openbill.api.permissions import staff_session_verified

from .serializers import ApiTokenSerializer, MeSerializer, NewApiTokenSerializer


class MeView(APIView):
    """The caller: their user and their client account (``null`` for staff without one)."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer({"user": request.user, "client": request_client(request)}).data)


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ApiToken],
):
    """The caller's API tokens. Creating one returns it once (``token``); only its hash is kept.
    Deleting one revokes it at once. Creating one from a browser session needs the password (and
    code) confirmed in the last ten minutes, as in the client area (403 otherwise); a caller
    with a token needs nothing more."""

    queryset = ApiToken.objects.none()
    serializer_class = ApiTokenSerializer
    filter_backends: list[Any] = []

    def get_permissions(self) -> list[Any]:
        permissions = list(super().get_permissions())
        if self.action == "create":
            permissions.append(RecentlyAuthenticated())
        return permissions

    def get_queryset(self) -> QuerySet[ApiToken]:
        user = cast(User, self.request.user)  # IsAuthenticated has run
        return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")

    @extend_schema(request=ApiTokenSerializer, responses={201: NewApiTokenSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A token carries no more than the credential that makes it. While staff two-factor
        authentication is on, a staff user must have entered the code (or call with a token made
        after it) to get a token at all: 403 otherwise, rather than a token the staff API would
        refuse anyway. The token is marked (``two_factor_verified``) when its maker was verified."""
        user = cast(User, request.user)
        verified = staff_session_verified(request)
        if user.is_staff and settings.OPENBILL_STAFF_2FA and not verified:
            raise PermissionDenied(
                _("Enter your two-factor code first (/staff/2fa/): staff get API tokens only from a verified session."),
                code="two_factor_required",
            )
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = ApiToken.issue(
            user, serializer.validated_data["name"], two_factor_verified=user.is_staff and verified
        )
        token.token = raw  # type: ignore[attr-defined]
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        # Revoked, not deleted: the row stays so that "who used which token" can be answered.
        ApiToken.objects.filter(pk=instance.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
