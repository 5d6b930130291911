"""Staff pages of ipam: every pool with its use, and one pool's addresses with their services."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from . import selectors
from .models import Pool


@staff_member_required
def pools(request: HttpRequest) -> HttpResponse:
    return render(
        request, "ipam/staff/pools.html", {"title": _("IP pools and their use"), "rows": selectors.pools_with_use()}
    )


@staff_member_required
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(Pool.objects.select_related("provider", "dns_server"), pk=pk)
    return render(
        request,
        "ipam/staff/pool.html",
        {"title": str(pool), "pool": pool, "addresses": selectors.pool_addresses(pool), "size": pool.size()},
    )
