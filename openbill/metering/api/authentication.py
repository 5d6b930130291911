"""Provider token authentication for the usage ingestion API: ``Authorization: Bearer obp_…``.

Client API tokens (accounts.ApiToken) are refused here, and provider tokens everywhere else:
a provider's meter reports usage, it does not act as a client.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from openbill.accounts.api.throttling import TokenFailureThrottle
from openbill.metering.models import ProviderToken


class ProviderTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, ProviderToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        # The client tokens' failure throttle, per address: a wrong token of either kind counts.
        throttle = TokenFailureThrottle()
        if (wait := throttle.wait_if_blocked(request)) is not None:
            raise exceptions.Throttled(wait)
        if len(header) != 2:
            throttle.record_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        token = ProviderToken.find(header[1].decode(errors="replace"))
        if token is None:
            throttle.record_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ProviderToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class HasProviderToken(permissions.BasePermission):
    message = gettext_lazy("This endpoint takes a provider's API token.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ProviderToken)


class ProviderTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "openbill.metering.api.authentication.ProviderTokenAuthentication"
    name = "providerTokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A provider API token (created by staff in the admin): `Authorization: Bearer obp_…`.",
        }
