"""The API's one token authentication: ``Authorization: Bearer <token>`` (or ``Token <token>``).

Two kinds of token, told apart by their prefix and both stored hashed:

- ``obt_…`` a user's API token (accounts.ApiToken): the caller is that user;
- ``obp_…`` a provider's token for usage ingestion (metering.ProviderToken): the caller is
  anonymous and ``request.auth`` is the token.

Every endpoint recognises both; which kind an endpoint takes is a permission
(``openbill.api.permissions``), so a valid token of the wrong kind is a 403. Only a token that
matches nothing (unknown, revoked, malformed) counts towards the failed-token limit of the
caller's address (accounts.api.throttling): a meter misconfigured with a client token must not
lock out every client behind the same address.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from openbill.accounts.api.throttling import TokenFailureThrottle
from openbill.accounts.models import ApiToken
from openbill.metering.models import ProviderToken

# Written at most this often: reading with a token must not write its row on every request.
LAST_USED_EVERY = 60  # seconds


def find_token(raw: str) -> ApiToken | ProviderToken | None:
    """The live token ``raw`` is, of either kind, or None."""
    if raw.startswith(ProviderToken.PREFIX):
        return ProviderToken.find(raw)
    if raw.startswith(ApiToken.PREFIX):
        return ApiToken.find(raw)
    return None


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken | ProviderToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        throttle = TokenFailureThrottle()
        throttle.raise_if_blocked(request)
        token = find_token(header[1].decode(errors="replace")) if len(header) == 2 else None
        if token is None:
            throttle.record_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        if isinstance(token, ProviderToken):
            return AnonymousUser(), token
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
