"""API token authentication: ``Authorization: Bearer obt_…`` (or ``Token obt_…``).

Tokens are stored hashed (accounts.ApiToken); a lookup hashes what it is given.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .api.throttling import TokenFailureThrottle
from .models import ApiToken


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        throttle = TokenFailureThrottle()
        if (wait := throttle.wait_if_blocked(request)) is not None:
            raise exceptions.Throttled(wait)
        token = ApiToken.find(header[1].decode(errors="replace")) if len(header) == 2 else None
        if token is None:
            throttle.record_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
