"""``Idempotency-Key`` for money-moving API calls (reliability.md, invariant 7; Stripe's rules).

* Scoped to the caller (``user:<id>`` / ``staff:<id>``) and the endpoint (method + path): the
  same key on another endpoint or from another user is a different key.
* The first answer (status and body) is stored and replayed on a retry with the same key,
  marked with the header ``Idempotent-Replayed: true``.
* A retry with other parameters is refused with 422; a retry while the first request is still
  running gets 409.
* Server errors (5xx, exceptions) are not stored: the key is released and the client may retry.
* Keys are kept at least 24 hours (``purge`` removes older ones; the sweep runs it hourly).

Use on a DRF view method::

    @idempotent
    def pay(self, request, pk=None): ...

The header is optional; without it the call runs normally.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 200

# For extend_schema(parameters=[IDEMPOTENCY_PARAMETER]) on the decorated endpoints.
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=_(
        "A unique key for this request (e.g. a UUID). A retry with the same key returns the first "
        "answer instead of acting again; the same key with other parameters is refused (422)."
    ),
)

F = TypeVar("F", bound=Callable[..., Response])


def scope_of(request: Request) -> str:
    user = request.user
    kind = "staff" if getattr(user, "is_staff", False) else "user"
    return f"{kind}:{user.pk}"


def request_hash(request: Request) -> str:
    try:
        data: Any = request.data
        body = json.dumps(data, sort_keys=True, default=str)
    except Exception:  # unparsable bodies still get a stable fingerprint
        body = request.body.decode(errors="replace") if hasattr(request, "body") else ""
    query = request.META.get("QUERY_STRING", "")
    return hashlib.sha256(f"{request.method}\n{request.path}\n{query}\n{body}".encode()).hexdigest()


def purge(now: datetime) -> int:
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=now - 2 * KEEP).delete()
    return deleted


def idempotent(view: F) -> F:
    @functools.wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return Response({HEADER: [_("The key is too long.")]}, status=400)
        scope = scope_of(request)
        endpoint = f"{request.method} {request.path}"[:200]
        fingerprint = request_hash(request)
        now = timezone.now()
        try:
            # Committed at once (its own transaction) so that a concurrent retry sees it.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=scope, endpoint=endpoint, key=key, request_hash=fingerprint, created_at=now
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(scope=scope, endpoint=endpoint, key=key)
            if existing.request_hash != fingerprint:
                return Response(
                    {
                        "detail": _("This Idempotency-Key was used with other parameters."),
                        "code": "idempotency_mismatch",
                    },
                    status=422,
                )
            if existing.status_code is None:
                return Response(
                    {"detail": _("A request with this Idempotency-Key is still being processed."), "code": "conflict"},
                    status=409,
                )
            replay = Response(existing.response_body, status=existing.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(self, request, *args, **kwargs)
        except Exception as exc:
            # Domain errors are answers (stored, so the retry gets the same one); anything else
            # releases the key.
            handler = self.get_exception_handler()
            context = self.get_exception_handler_context()
            handled = handler(exc, context)
            if handled is None or handled.status_code >= 500:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
                raise
            response = handled
        if response.status_code >= 500:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        body = response.data if hasattr(response, "data") else None
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status_code=response.status_code, response_body=json.loads(json.dumps(body, default=str))
        )
        return response

    return wrapper  # type: ignore[return-value]
