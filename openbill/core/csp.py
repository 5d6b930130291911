"""The Content-Security-Policy header, on every response.

Pages load script and style only from this site, and no inline script or ``on…=`` handler runs:
an injected ``<script>`` or ``<img onerror=…>`` does nothing even if some escaping were missed.
The templates keep to that (their JavaScript is in static files, their styles in CSS classes).

The one relaxation is for the HTML pages under /api/ that come from third-party templates:
Swagger UI (the API docs) adds ``<style>`` elements as it draws, and DRF's browsable API carries
``style`` attributes. Their policy also allows inline *style* (never inline script).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "Content-Security-Policy"


def policy_for(request: HttpRequest) -> str:
    policy: str = settings.OPENBILL_CONTENT_SECURITY_POLICY
    if request.path_info.startswith("/api/"):
        policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return policy


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request)
        return response
