"""Who may call what: a user (session or user token), staff, or a provider's meter.

Authentication (``openbill.api.authentication``) recognises every kind of token; these
permissions refuse the wrong kind with a 403 that says what the endpoint takes, in the API's
error shape (``detail`` and ``code``). No credential at all stays a 401.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from openbill.accounts.models import ApiToken
from openbill.accounts.twofactor import is_verified
from openbill.metering.models import ProviderToken


def _deny(message: Any, code: str) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(detail=str(message), code=code)


class IsUser(permissions.BasePermission):
    """A logged-in user, by session or by their API token (``obt_…``); not a provider token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ProviderToken):
            raise _deny(
                _("A provider token only reports usage (POST /api/v1/usage/); this endpoint takes a user's API token."),
                "wrong_token_kind",
            )
        return bool(request.user and request.user.is_authenticated)


def staff_session_verified(request: Request) -> bool:
    """Whether the caller's credential passed staff two-factor authentication: a session that
    entered its code, or a token made by one (``ApiToken.two_factor_verified``)."""
    if isinstance(request.auth, ApiToken):
        return request.auth.two_factor_verified
    return is_verified(request.user)


class IsStaff(IsUser):
    """The staff API: a staff user who passed two-factor authentication (``OPENBILL_STAFF_2FA``).

    A token carries no more than the session that made it: only a token made from a verified
    staff session (or by such a token) reaches the staff API; a token made with the password
    alone is refused like the session itself.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not request.user.is_staff:
            raise _deny(_("Staff only."), "staff_only")
        if settings.OPENBILL_STAFF_2FA and not staff_session_verified(request):
            raise _deny(
                _(
                    "Staff must enter a two-factor code first (/staff/2fa/); a token works here only "
                    "if it was created after the code was entered."
                ),
                "two_factor_required",
            )
        return True


class IsProviderMeter(permissions.BasePermission):
    """Usage ingestion: a provider's token (``obp_…``); a user's token or session is refused."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ProviderToken):
            return True
        if isinstance(request.auth, ApiToken) or (request.user and request.user.is_authenticated):
            raise _deny(
                _("This endpoint takes a provider's API token (obp_…), created by staff; a user's token cannot report usage."),
                "wrong_token_kind",
            )
        return False
