"""The client area's usage pages: a service's Statistics tab and its Service overage section.

Both resolve the service through the client's own services (another client's id → 404) and
read through openbill.metering.selectors, as the API does.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openbill.catalog import display
from openbill.core.errors import DomainError
from openbill.core.formats import plain_number
from openbill.core.money import format_money
from openbill.core.timeutil import local_date
from openbill.metering import rating, selectors
from openbill.services.models import Service

from .access import client_required

PRESETS = [
    ("today", _("Current day")),
    ("week", _("Current week")),
    ("month", _("Current month")),
    ("year", _("Current year")),
    ("yesterday", _("Previous day")),
    ("last_week", _("Previous week")),
    ("last_month", _("Previous month")),
    ("custom", _("Any period")),
]


class PeriodForm(forms.Form):
    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preset") == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None:
                self.add_error("start", _("Enter the first day of the period."))
            if end is None:
                self.add_error("end", _("Enter the last day of the period."))
            try:
                for name, value in (("start", start), ("end", end)):
                    if value is not None:
                        selectors.check_statistics_day(value, name)
                if start and end:
                    selectors.check_statistics_period(start, end)
            except DomainError as exc:
                self.add_error(exc.field, exc.message)
        return data

    def period(self, today: date) -> tuple[str, date, date]:
        """The preset chosen (the current month when none or the form is not valid) and its days."""
        preset = "month"
        if self.is_bound and self.is_valid():
            preset = self.cleaned_data.get("preset") or "month"
            if preset == "custom":
                return preset, self.cleaned_data["start"], self.cleaned_data["end"]
        return (preset, *selectors.preset_period(preset, today))


def quantity_text(value: Decimal, unit: str) -> str:
    """A quantity as the client reads it, in its language: two decimals at most, trailing zeros dropped."""
    return display.quantity_text(value, unit)


def _service(request: HttpRequest, pk: int) -> Service:
    client = request.client  # type: ignore[attr-defined]
    service = get_object_or_404(
        Service.objects.for_client(client).select_related("client__provider", "product_type", "tariff"), pk=pk
    )
    if not selectors.has_statistics(service):
        raise Http404
    return service


CHART_WIDTH = 720
CHART_HEIGHT = 160


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (the chart's top)."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** (value.adjusted())
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def chart(series: selectors.AddonSeries) -> dict[str, Any]:
    """One add-on's consumption by day as a server-rendered bar chart: bar geometry, a scale from 0
    to a round top, and dates along the axis. The coordinates are strings with a decimal point:
    markup is never localized (a Spanish page would otherwise write x="12,5", which no browser draws)."""
    days = series.days
    top = nice_ceiling(series.peak)
    count = max(len(days), 1)
    slot = CHART_WIDTH / count
    unit = series.addon.unit
    bars = []
    for index, day in enumerate(days):
        height = float(day.usage / top) * CHART_HEIGHT
        bars.append(
            {
                "x": plain_number(index * slot + slot * 0.1),
                "y": plain_number(CHART_HEIGHT - height),
                "width": plain_number(max(slot * 0.8, 1)),
                "height": plain_number(height),
                "over": day.over,
                "on": day.on,
                "usage": quantity_text(day.usage, unit),
            }
        )
    # Dates on the axis: the first, middle and last day (every day when there are few).
    picks = range(count) if count <= 3 else (0, count // 2, count - 1)
    return {
        "width": plain_number(CHART_WIDTH),
        "height": plain_number(CHART_HEIGHT),
        "middle": plain_number(CHART_HEIGHT // 2),
        "bars": bars,
        "scale": [quantity_text(top, unit), quantity_text(top / 2, unit), quantity_text(Decimal(0), unit)],
        "dates": [days[index].on for index in picks] if days else [],
    }


def _month_rows(service: Service, month: date, rows: list[selectors.OverageRow] | None = None) -> list[dict[str, Any]]:
    currency = service.client.currency
    return [
        {
            "name": row.addon.name,
            "included": quantity_text(row.included, row.addon.unit),
            "per_day": row.per_day,
            "used": quantity_text(row.used, row.addon.unit),
            "overage": quantity_text(row.overage, row.addon.unit),
            "cost": format_money(row.cost_amount, currency),
            "over_maximum": row.over_maximum,
        }
        for row in (rows if rows is not None else selectors.overage_rows(service, month))
    ]


@client_required
def service_statistics(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    today = local_date(timezone.now(), service.client.provider.tz)
    form = PeriodForm(request.GET or None)
    preset, start, end = form.period(today)
    month = rating.month_start(today)
    context = {
        "service": service,
        "tab": "statistics",
        "form": form,
        "presets": PRESETS,
        "preset": preset,
        "start": start,
        "end": end,
        "charts": [_chart_block(line) for line in selectors.daily_consumption(service, start, end)],
        "month": month,
        "month_rows": _month_rows(service, month),
        "overage_url": selectors.overage_url(service.pk, month),
    }
    return render(request, "clientarea/metering/statistics.html", context)


def _chart_block(line: selectors.AddonSeries) -> dict[str, Any]:
    """One add-on's consumption for the Statistics tab: total, chart and days."""
    unit = line.addon.unit
    return {
        "addon": line.addon,
        "total": quantity_text(line.total, unit),
        "chart": chart(line),
        "days": [{"on": day.on, "usage": quantity_text(day.usage, unit), "over": day.over} for day in line.days],
        "overage_days": sum(1 for day in line.days if day.over),
    }


def _parse_month(value: str | None, default: date) -> date | None:
    if not value:
        return default
    try:
        parsed = datetime.strptime(value, "%Y-%m")  # noqa: DTZ007 - a calendar month, not a moment
    except ValueError:
        return None
    if not selectors.FIRST_DAY.year <= parsed.year <= selectors.LAST_DAY.year:
        return None
    return parsed.date()


@client_required
def service_overage(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    now = timezone.now()
    current = selectors.current_month(service, now)
    month = _parse_month(request.GET.get("period"), current)
    error = ""
    if month is None:
        error = str(_("Choose a month as YYYY-MM."))
        month = current
    raw_rows = selectors.overage_rows(service, month)
    context = {
        "service": service,
        "tab": "overage",
        "month": month,
        "months": selectors.months_back(current, 12),
        "rows": _month_rows(service, month, raw_rows),
        "total": format_money(sum((r.cost_amount for r in raw_rows), Decimal(0)), service.client.currency),
        "error": error,
    }
    return render(request, "clientarea/metering/overage.html", context, status=400 if error else 200)
