"""Staff pages of domains: every zone (TLD) with its registrar, source and domains; one zone's
prices per action and number of years (1-10), edited in one grid."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from openbill.core.errors import DomainError

from . import actions, selectors
from .forms import ZonePricesForm
from .models import Zone


@staff_member_required
def zones(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "domains/staff/zones.html",
        {"title": _("Domain zones and their prices"), "rows": selectors.zones_with_use()},
    )


@staff_member_required
def zone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    zone = get_object_or_404(Zone.objects.select_related("provider", "module", "tariff"), pk=pk)
    form = ZonePricesForm(request.POST or None, zone=zone)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_prices(zone, form.prices())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The prices of %(zone)s were saved.") % {"zone": zone})
            return redirect("staff:domain_zone", pk=zone.pk)
    context = {
        "title": str(zone),
        "zone": zone,
        "form": form,
        "grid": form.grid(),
        "counts": selectors.zone_counts(zone),
        "phases": selectors.zone_phase_counts(zone),
    }
    return render(request, "domains/staff/zone.html", context, status=400 if form.errors else 200)
