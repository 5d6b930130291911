"""``Idempotency-Key`` for money-moving API calls (reliability.md, invariant 7; Stripe's rules).

* Scoped to the caller (``user:<id>`` / ``staff:<id>``) and the endpoint (method + path): the
  same key on another endpoint or from another user is a different key.
* The first answer (status and body) is stored and replayed on a retry with the same key,
  marked with the header ``Idempotent-Replayed: true``.
* A retry with other parameters is refused with 422; a retry while the first request is still
  running gets 409. "Still running" is a lease of ``OPENBILL_IDEMPOTENCY_LEASE_SECONDS`` (60 s,
  longer than a web worker may serve one request): a record left without an answer by a request
  that died (the server was killed) is taken over by the next retry after that.
* The answer is stored as bytes, so any body (a NUL, a lone surrogate) replays exactly.
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

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

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


def lease() -> timedelta:
    return timedelta(seconds=settings.OPENBILL_IDEMPOTENCY_LEASE_SECONDS)


def _encode(body: Any) -> bytes:
    # DRF's encoder (the one the JSON renderer uses) so the replay equals the first answer;
    # ensure_ascii writes any character, paired or not, as an escape: the bytes are plain ASCII.
    return json.dumps(body, cls=JSONEncoder, ensure_ascii=True).encode("ascii")


def _decode(content: bytes | memoryview | None) -> Any:
    return None if content is None else json.loads(bytes(content))


def _take_over(record: IdempotencyRecord, now: datetime) -> bool:
    """Claim a record whose request outlived its lease (compare-and-swap: one retry wins)."""
    claimed = IdempotencyRecord.objects.filter(
        pk=record.pk, status_code__isnull=True, started_at=record.started_at
    ).update(started_at=now)
    return claimed == 1


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
            message = _("The key is too long (at most %(max)d characters).") % {"max": MAX_KEY_LENGTH}
            return Response({"detail": message, "code": "invalid", HEADER: [message]}, status=400)
        scope = scope_of(request)
        endpoint = f"{request.method} {request.path}"[:200]
        fingerprint = request_hash(request)
        now = timezone.now()
        try:
            # Committed at once (its own transaction) so that a concurrent retry sees it.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=scope, endpoint=endpoint, key=key, request_hash=fingerprint, created_at=now, started_at=now
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(scope=scope, endpoint=endpoint, key=key)
            if record.request_hash != fingerprint:
                return Response(
                    {
                        "detail": _("This Idempotency-Key was used with other parameters."),
                        "code": "idempotency_mismatch",
                    },
                    status=422,
                )
            if record.status_code is not None:
                replay = Response(_decode(record.response_content), status=record.status_code)
                replay["Idempotent-Replayed"] = "true"
                return replay
            if record.started_at > now - lease() or not _take_over(record, now):
                return Response(
                    {"detail": _("A request with this Idempotency-Key is still being processed."), "code": "conflict"},
                    status=409,
                )
        # Only the holder of this lease may answer or release the record (a request that overran
        # its lease and was taken over must not overwrite the new answer).
        mine = IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True, started_at=now)
        try:
            response = view(self, request, *args, **kwargs)
        except Exception as exc:
            # Domain errors are answers (stored, so the retry gets the same one); anything else
            # releases the key.
            handler = self.get_exception_handler()
            context = self.get_exception_handler_context()
            handled = handler(exc, context)
            if handled is None or handled.status_code >= 500:
                mine.delete()
                raise
            response = handled
        if response.status_code >= 500:
            mine.delete()
            return response
        body = response.data if hasattr(response, "data") else None
        mine.update(status_code=response.status_code, response_content=_encode(body))
        return response

    return wrapper  # type: ignore[return-value]
