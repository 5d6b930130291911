"""Throttle failed token authentications per client address.

A token is 256 random bits, so guessing one is hopeless anyway; the throttle keeps anyone from
hammering the token lookup (and the logs). Each failure is counted per address in the cache for
the window of ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token_auth_failure"]`` ("20/min");
once the count is reached, every token request from that address is answered 429 until the
window has passed — including one with a valid token, so a lucky guess late in the window gains
nothing. Successful requests, and valid tokens of the wrong kind, are never counted.

The client address is REMOTE_ADDR, or with ``OPENBILL_NUM_PROXIES`` trusted proxies in front the
address the nearest of them reports in X-Forwarded-For (``client_address``).

The counts live in Django's default cache (settings.CACHES: the database cache, or Redis), shared
by every process. A count of N is N slots, ``<key>:0`` … ``<key>:N-1``, each added with
``cache.add`` (insert-if-absent, atomic in the database cache and Redis) and expiring one window
after it was taken: two processes recording failures at once each get a slot of their own, where
a read-modify-write of one counter would lose one of them.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SCOPE = "token_auth_failure"


def client_address(request: Any) -> str:
    """The address every per-address limit counts (the API's, the login form's, axes')."""
    return str(TokenFailureThrottle().get_ident(request))


class TokenFailureThrottle(SimpleRateThrottle):
    scope = SCOPE
    num_requests: int | None
    duration: int | None

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        rate: str | None = rates.get(self.scope, "20/min")
        return rate

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _slots(self, request: Any) -> list[str]:
        key = self.get_cache_key(request, None)
        return [f"{key}:{index}" for index in range(self.num_requests or 0)]

    def wait_if_blocked(self, request: Any) -> float | None:
        """Seconds to wait when this address has used up its failures, else None."""
        if self.num_requests is None:
            return None
        slots = self._slots(request)
        taken = cache.get_many(slots)
        if len(taken) < len(slots):
            return None
        window = self.duration or 60
        return max(min(taken.values()) + window - time.time(), 1.0)

    def record_failure(self, request: Any) -> None:
        if self.num_requests is None:
            return
        slots = self._slots(request)
        taken = cache.get_many(slots)
        now = time.time()
        for slot in slots:
            # add() fails if another process took this slot since get_many: try the next one.
            if slot not in taken and cache.add(slot, now, self.duration):
                return

    def raise_if_blocked(self, request: Any) -> None:
        """A 429 naming the limit (``code: too_many_failed_tokens``, ``Retry-After``)."""
        if (wait := self.wait_if_blocked(request)) is not None:
            raise exceptions.Throttled(
                wait,
                detail=_(
                    "Too many failed token attempts from your address (the limit is %(count)s in "
                    "%(seconds)s seconds); every token request from it is refused until then."
                )
                % {"count": self.num_requests, "seconds": self.duration},
                code="too_many_failed_tokens",
            )
