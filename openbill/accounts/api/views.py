"""``/me/``, ``/tokens/`` and ``/account/…``: scoped to the authenticated user (staff included),
``/account/users/`` to the caller's client account."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from openbill.accounts import actions, limits, sessions
from openbill.accounts.models import ApiToken, Membership, User
from openbill.accounts.twofactor import RecentlyAuthenticated
from openbill.api.base import ClientScopedMixin, request_client
from openbill.api.permissions import staff_session_verified

from .serializers import (
    AccountUserSerializer,
    ApiTokenSerializer,
    LanguageSerializer,
    MeSerializer,
    NewApiTokenSerializer,
    PasswordChangeSerializer,
)


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
    may_conflict = False  # creating or revoking a token has no state to conflict with

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


def _by_session(request: Request) -> bool:
    """The call came from a logged-in browser session (not a token)."""
    return isinstance(request.successful_authenticator, SessionAuthentication)


class LanguageView(APIView):
    """The caller's saved language: the client area's, and the one their account mail (password
    reset) is written in. The same setting as the language switch in the client area."""

    @extend_schema(request=LanguageSerializer, responses=LanguageSerializer, summary="Set the saved language")
    def put(self, request: Request) -> Response:
        body = LanguageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.set_language(cast(User, request.user), body.validated_data["language"])
        return Response({"language": body.validated_data["language"]})


class PasswordView(APIView):
    """Change the caller's password, giving the current one; the new one must pass the same
    rules as in the client area. Every browser session of the user is logged out, except the
    calling one when the call comes from a session. Wrong current passwords count as failed
    logins of the account: after too many, this answers 429, as the login page does."""

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={204: OpenApiResponse(description="Changed.")},
        summary="Change the password",
    )
    def post(self, request: Request) -> Response:
        body = PasswordChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = cast(User, request.user)
        limit = limits.Limit("login_account_failure", account=user.email)
        if (wait := limits.blocked(request._request, limit)) is not None:
            raise Throttled(wait=wait)
        new = body.validated_data["new_password"]
        form = PasswordChangeForm(
            user, {"old_password": body.validated_data["old_password"], "new_password1": new, "new_password2": new}
        )
        if not form.is_valid():
            if "old_password" in form.errors:
                limits.record(request._request, limit)
            errors: dict[str, list[str]] = {}
            for field, messages in form.errors.items():
                errors.setdefault("old_password" if field == "old_password" else "new_password", []).extend(
                    str(message) for message in messages
                )
            raise ValidationError(errors)
        form.save()  # a new password hash: every session's auth hash stops matching
        if _by_session(request):
            update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogOutOtherSessionsView(APIView):
    """Log out every other browser session of the caller. Called from a session, that session
    stays; called with a token, every session of the user ends. API tokens keep working (revoke
    them at ``/tokens/``)."""

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Logged out.")}, summary="Log out other sessions"
    )
    def post(self, request: Request) -> Response:
        if _by_session(request):
            sessions.log_out_other_sessions(request._request)
        else:
            sessions.end_sessions(cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountUserListView(ClientScopedMixin, generics.ListAPIView[Membership]):
    """The users of the caller's client account: the owner first, then the others by email."""

    queryset = Membership.objects.none()
    serializer_class = AccountUserSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.filter(client=self.client).select_related("user").order_by("role", "user__email")
