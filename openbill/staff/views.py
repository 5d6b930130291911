"""The staff index: Django admin plus the work-queue pages other apps add (``STAFF_MENU``)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

# Filled by staff/urls.py from each app's ``STAFF_MENU``.
MENU: list[tuple[str, Any]] = []


@staff_member_required
def index(request: HttpRequest) -> HttpResponse:
    pages = []
    for name, label in MENU:
        try:
            pages.append((reverse(f"staff:{name}"), label))
        except NoReverseMatch:
            continue
    return render(request, "staff/index.html", {"pages": pages, "title": _("Staff")})
