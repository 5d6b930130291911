"""Absolute URLs of this site, for links that leave it (emails, payment gateways).

They are built from the ``OPENBILL_BASE_URL`` setting, never from the request: the Host header
is whatever the caller sent, so a link built from it could point anywhere (a password-reset
link to an attacker's host), and a worker sending mail has no request at all.
"""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (as ``reverse()`` gives it, starting with ``/``) on this site's public address."""
    if not path.startswith("/"):
        raise ValueError(f"absolute_url needs a path starting with '/', not {path!r}")
    base: str = settings.OPENBILL_BASE_URL
    return base.rstrip("/") + path
