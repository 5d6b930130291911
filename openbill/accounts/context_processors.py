"""Template context: the client account of the request, for every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def client(request: HttpRequest) -> dict[str, Any]:
    return {"client": getattr(request, "client", None)}
