"""Throttle failed token authentications per client address.

A token is 256 random bits, so guessing one is hopeless anyway; the throttle keeps anyone from
hammering the token lookup (and the logs). Each failure is counted per address in the cache for
the window of ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token_auth_failure"]`` ("20/min");
once the count is reached, every token request from that address is answered 429 until the
window has passed — including one with a valid token, so a lucky guess late in the window gains
nothing. Successful requests are never counted.

The counter lives in Django's cache: per process with the default local-memory cache, shared by
every worker once CACHES points at a shared cache.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SCOPE = "token_auth_failure"


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

    def _recent(self, request: Any) -> tuple[str, list[float]]:
        key = self.get_cache_key(request, None)
        now = time.time()
        history = [moment for moment in cache.get(key, []) if moment > now - (self.duration or 60)]
        return key, history

    def wait_if_blocked(self, request: Any) -> float | None:
        """Seconds to wait when this address has used up its failures, else None."""
        if self.num_requests is None:
            return None
        _, history = self._recent(request)
        if len(history) < self.num_requests:
            return None
        return max(history[0] + (self.duration or 60) - time.time(), 1.0)

    def record_failure(self, request: Any) -> None:
        key, history = self._recent(request)
        history.append(time.time())
        cache.set(key, history, self.duration)
