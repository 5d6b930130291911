"""OpenAPI generation: the token scheme, the error body, and the error statuses of every operation.

The API's errors come from one handler (api/exceptions.py), so their statuses are predictable from
the shape of an operation. ``AutoSchema`` documents them for every view without each view having
to remember (schemathesis fails on any status the schema does not list):

- 401, 403 and 429 on every operation that needs authentication (429: the failed-token limit);
- 404 on every operation with a path parameter;
- 400 on every operation with query parameters or a request body;
- 409 on every POST, PUT, PATCH and DELETE (an illegal state change);
- anything in the view's ``extra_error_statuses`` (e.g. ``(402,)`` for money-moving POSTs).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _("Invalid input: each field at fault is a key with its messages."),
    401: _("Not authenticated, or the token is invalid or revoked."),
    402: _("Not enough funds."),
    403: _("Not allowed (e.g. a staff user without a client account)."),
    404: _("Not found (or not the caller's)."),
    409: _("Not possible in the current state."),
    429: _(
        "Too many failed token attempts from the caller's address (code too_many_failed_tokens; "
        "Retry-After says when to try again)."
    ),
}


class ErrorSerializer(serializers.Serializer):
    """The body of every error. A 400 also carries one key per field at fault, with its messages."""

    detail = serializers.CharField()
    code = serializers.CharField()


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """For ``extend_schema(responses={200: X, **error_responses(402)})`` where needed by hand."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=str(ERROR_DESCRIPTIONS.get(status, "")))
        for status in statuses
    }


class AutoSchema(openapi.AutoSchema):
    def _needs_auth(self) -> bool:
        perms = self.view.get_permissions()
        return not all(isinstance(perm, permissions.AllowAny) for perm in perms)

    def error_statuses(self) -> set[int]:
        statuses: set[int] = set(getattr(self.view, "extra_error_statuses", ()))
        if self._needs_auth():
            statuses |= {401, 403, 429}
        if "{" in self.path:
            statuses.add(404)
        if self.method in WRITE_METHODS:
            statuses |= {400, 409}
        if any(parameter.get("in") == "query" for parameter in self._get_parameters()):
            statuses.add(400)
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self.error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    error_responses(status)[status], str(status), direction=direction
                )
        return responses


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """One authentication class takes both kinds of token; the schema names the kind each
    operation takes: a view with ``token_kind = "provider"`` (usage ingestion) takes a provider's
    token, every other a user's."""

    target_class = "openbill.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[Any]]:
        if getattr(auto_schema.view, "token_kind", "user") == "provider":
            self.name = "providerTokenAuth"
        return {self.name: []}

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        if self.name == "providerTokenAuth":
            description = _("A provider API token (created by staff in the admin): `Authorization: Bearer obp_…`.")
        else:
            description = _("An API token created at /api/v1/tokens/: `Authorization: Bearer obt_…`.")
        return {"type": "http", "scheme": "bearer", "description": str(description)}
