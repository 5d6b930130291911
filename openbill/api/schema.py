"""OpenAPI generation: the token scheme, the error bodies, and the statuses and headers of every
operation.

The API's errors come from one handler (api/exceptions.py), so their statuses are predictable from
the shape of an operation. ``AutoSchema`` documents them for every view without each view having
to remember (the conformance tests fail on any status or body the schema does not describe):

- 401, 403 and 429 on every operation that needs authentication (429: failed-token throttling,
  with ``Retry-After``);
- 404 on every operation with a path parameter;
- 400 on every operation with query parameters, a request body or an ``Idempotency-Key``
  (``ValidationError``: one key per input at fault);
- 409 on every POST, PUT, PATCH and DELETE (an illegal state change) unless the view sets
  ``may_conflict = False``, and on every operation that takes an ``Idempotency-Key`` (the same
  key still being processed);
- 422 on every operation that takes an ``Idempotency-Key`` (the same key with other parameters),
  whose answers carry ``Idempotent-Replayed`` when they are a stored answer;
- 413 on every POST, PUT and PATCH (a body over the size limit, with ``max_bytes``);
- 414 on every operation: a URL too long for the HTTP server in front (not a JSON answer);
- anything in the view's ``extra_error_statuses`` (e.g. ``(402,)`` for money-moving POSTs; 402 is
  ``InsufficientFunds``), for writes only: a GET never moves money.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import permissions, serializers

from openbill.api.fields import (
    CURRENCY_PATTERN,
    DECIMAL_PATTERN,
    CurrencyField,
    DecimalStringField,
    MoneyField,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
IDEMPOTENCY_HEADER = "Idempotency-Key"

ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _("Invalid input: each field at fault is a key with its messages."),
    401: _("Not authenticated, or the token is invalid or revoked."),
    402: _("Not enough funds: ``details`` has the amount, what is available and what is missing."),
    403: _("Not allowed (e.g. a staff user without a client account)."),
    404: _("Not found (or not the caller's)."),
    409: _("Not possible in the current state (or the same Idempotency-Key is still being processed)."),
    413: _("The request body is over the size limit (see max_bytes)."),
    422: _("The Idempotency-Key was used before with other parameters."),
    429: _(
        "Too many failed token attempts from the caller's address (code too_many_failed_tokens; "
        "Retry-After says when to try again)."
    ),
}

# The three named decimal-string types (api/fields.py): one format, documented once.
extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": DECIMAL_PATTERN,
        "description": str(DecimalStringField.description),
        "example": "2",
    },
    component_name=DecimalStringField.component,
)(DecimalStringField)
extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": DECIMAL_PATTERN,
        "description": str(MoneyField.description),
        "example": "10.00",
    },
    component_name=MoneyField.component,
)(MoneyField)
extend_schema_field(
    {"type": "string", "pattern": CURRENCY_PATTERN, "description": str(CurrencyField.description), "example": "USD"},
    component_name=CurrencyField.component,
)(CurrencyField)


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error: a message for people and a code for programs."""

    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")
    code = serializers.CharField(
        help_text="What went wrong, for programs: invalid, not_found, not_authenticated, "
        "permission_denied, not_allowed, illegal_transition, conflict, insufficient_funds, throttled…"
    )
    request_id = serializers.CharField(
        required=False, help_text="On a 5xx: the id the error was logged under (also the X-Request-ID header)."
    )
    max_bytes = serializers.IntegerField(required=False, help_text="On a 413: the largest body accepted, in bytes.")


class ValidationErrorSerializer(ErrorSerializer):
    """A 400: ``detail`` and ``code`` ("invalid"), and one key per input at fault (a field, a
    query parameter, ``non_field_errors``) with its messages: a list of strings, or for an input
    with parts (``addons``, ``records``) an object keyed by the part."""


class InsufficientFundsDetailsSerializer(serializers.Serializer[Any]):
    amount = MoneyField(help_text="What the operation costs.")
    available = MoneyField(help_text="What the balance and the credit limit allow.")
    deficit = MoneyField(help_text="What is missing.")


class InsufficientFundsSerializer(ErrorSerializer):
    """A 402: the operation costs more than the balance allows; nothing was charged."""

    amount = serializers.ListField(child=serializers.CharField(), help_text="The message, as for a field.")
    details = InsufficientFundsDetailsSerializer()


_FIELD_MESSAGES = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": {}},
    ]
}


class ValidationErrorExtension(OpenApiSerializerExtension):
    """The field keys of a 400 are not known in advance: ``additionalProperties`` types them."""

    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = _FIELD_MESSAGES
        return schema


ERROR_SERIALIZERS: dict[int, type[serializers.Serializer[Any]]] = {
    400: ValidationErrorSerializer,
    402: InsufficientFundsSerializer,
}

URI_TOO_LONG = _(
    "The URL is longer than the HTTP server in front of Openbill accepts (gunicorn: a request line "
    "of 4094 bytes); that server answers, with no JSON body. Send long filters in several requests."
)
RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 1},
    "description": str(_("Seconds to wait before trying again.")),
}
NOT_REPLAYED = frozenset({"401", "403", "422", "429"})
IDEMPOTENT_REPLAYED = {
    "schema": {"type": "string", "enum": ["true"]},
    "description": str(
        _("Present when this is the stored answer to an earlier request with the same Idempotency-Key.")
    ),
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """For ``extend_schema(responses={200: X, **error_responses(402)})`` where needed by hand."""
    return {
        status: OpenApiResponse(
            ERROR_SERIALIZERS.get(status, ErrorSerializer), description=str(ERROR_DESCRIPTIONS.get(status, ""))
        )
        for status in statuses
    }


class AutoSchema(openapi.AutoSchema):
    def _needs_auth(self) -> bool:
        perms = self.view.get_permissions()
        return not all(isinstance(perm, permissions.AllowAny) for perm in perms)

    def _idempotent(self) -> bool:
        return any(
            getattr(parameter, "name", None) == IDEMPOTENCY_HEADER for parameter in self.get_override_parameters()
        )

    def _has_request_body(self) -> bool:
        return self.method in BODY_METHODS and self.get_request_serializer() is not None

    def error_statuses(self) -> set[int]:
        statuses: set[int] = set()
        if self.method in WRITE_METHODS:
            statuses |= set(getattr(self.view, "extra_error_statuses", ()))
            if getattr(self.view, "may_conflict", True):
                statuses.add(409)
        if self.method in WRITE_METHODS - {"DELETE"}:
            statuses.add(413)
        if self._needs_auth():
            statuses |= {401, 403, 429}
        if "{" in self.path:
            statuses.add(404)
        if self._has_request_body():
            statuses.add(400)
        if any(parameter.get("in") == "query" for parameter in self._get_parameters()):
            statuses.add(400)
        if self._idempotent():
            statuses |= {400, 409, 422}  # 400: a malformed key
        else:
            statuses.discard(422)
        return statuses

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        """Each filter says what it does: its label when the schema has no description (a filter
        with a fixed schema, such as ``IdFilter``, loses it otherwise)."""
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = getattr(filterset_class, "base_filters", {})
        for parameter in parameters:
            label = getattr(filters.get(parameter["name"]), "label", None)
            if not parameter.get("description") and label:
                parameter["description"] = str(label)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self.error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    error_responses(status)[status], str(status), direction=direction
                )
        # Not Openbill's answer but the HTTP server's in front of it, as text, not JSON.
        responses["414"] = {"description": str(URI_TOO_LONG)}
        for code, response in responses.items():
            headers = response.setdefault("headers", {})
            if code == "429":
                headers["Retry-After"] = RETRY_AFTER
            # The view's own answers are stored and replayed with this header; what is answered
            # before the view runs (authentication, throttling, the key's own checks) is not.
            if self._idempotent() and code not in NOT_REPLAYED and not code.startswith("5"):
                headers["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED
            if not headers:
                del response["headers"]
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
