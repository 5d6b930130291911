"""The client area's pages that change a paid service: extend its validity, edit its tariff,
add-ons and auto-renewal (prorated, previewed before it is confirmed), and give a quick
order's parameters.

The service resolves through the caller's own services (another client's id → 404); a state
that does not allow the action goes back to the service page with the reason. The prices come
from openbill.orders.selectors and the changes from openbill.orders.actions, as in the API.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from openbill.core.actors import Actor
from openbill.core.errors import DomainError, InsufficientFunds, NothingChanged
from openbill.core.formats import format_day
from openbill.core.money import format_money
from openbill.core.timeutil import Period, local_date
from openbill.orders import actions, selectors
from openbill.orders.pricing import ChangeQuote
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.rules import Action

from .access import client_required
from .forms_orders import EditForm, add_domain_error
from .shortcuts import client_of, own_service, refused, topup_url


@client_required
@require_http_methods(["GET", "POST"])
def service_extend(request: HttpRequest, pk: int) -> HttpResponse:
    service = own_service(request, pk)
    if (refusal := refused(request, service, Action.EXTEND)) is not None:
        return refusal
    if service.period == Period.DAY:
        # Daily-priced services draw from the balance each day: top up instead.
        messages.info(request, _("This service is charged daily from the balance: top up to keep it running."))
        return redirect("clientarea:topup")
    now, tz = timezone.now(), client_of(request).provider.tz
    context = {
        "service": service,
        "options": _extension_options(service, now, tz),
        "start": selectors.extension_start(service, now),
        "error": "",
        "selected": request.POST.get("period") or service.period,
    }
    if request.method == "POST":
        return _extend(request, service, now, context)
    return render(request, "clientarea/orders/extend.html", context)


def _extension_options(service: Service, now: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {
            "period": quote.period,
            "label": Period(quote.period).label,
            "amount": format_money(quote.amount or Decimal(0), service.client.currency),
            "tax": quote.tax if quote.tax and quote.tax.taxed else None,
            "until": format_day(local_date(quote.end, tz)),
        }
        for quote in selectors.extension_quotes(service, now=now, tz=tz)
    ]


def _moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _extend(request: HttpRequest, service: Service, now: datetime, context: dict[str, Any]) -> HttpResponse:
    """Charge the chosen period; short of money, the page offers a top-up for the deficit."""
    period = request.POST.get("period", "")
    expected_start = _moment(request.POST.get("expected_start", ""))
    try:
        renewal = actions.extend_service(
            service, period=period, actor=Actor.client_of(request), now=now, expected_start=expected_start
        )
    except InsufficientFunds as exc:
        context.update(error=exc.message, topup_url=topup_url(exc.details.get("deficit")), selected=period)
    except DomainError as exc:
        context["error"] = exc.message
    else:
        until = format_day(local_date(renewal.period_end, service.client.provider.tz))
        messages.success(request, _("The service is extended until %(date)s.") % {"date": until})
        return redirect("clientarea:service", pk=service.pk)
    return render(request, "clientarea/orders/extend.html", context)


@client_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit parameters: the exact amount is shown first (Preview), then confirmed."""
    service = own_service(request, pk)
    if (refusal := refused(request, service, Action.EDIT)) is not None:
        return refusal
    form = EditForm(
        service, selectors.change_tariffs(service), request.POST or None, initial=EditForm.initial_for(service)
    )
    quote = None
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            quote = _edit_quote(service, form, now)
            if request.POST.get("action") == "confirm":
                return _confirm_change(request, service, form, quote, now)
        except InsufficientFunds as exc:
            form.add_error(None, exc.message)
        except NothingChanged as exc:
            # No operation, no charge line: the service stays exactly as it was.
            messages.info(request, exc.message)
            return redirect("clientarea:service", pk=service.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
            quote = None
    return render(request, "clientarea/orders/edit.html", _edit_context(service, form, quote))


def _edit_quote(service: Service, form: EditForm, now: datetime) -> ChangeQuote | None:
    """What the change costs; a service not running has nothing to prorate."""
    if service.status not in (Status.ACTIVE, Status.SUSPENDED):
        return None
    tariff, addons = form.change()
    return selectors.change_quote(service, now=now, tariff=tariff, addons=addons)


def _confirm_change(
    request: HttpRequest, service: Service, form: EditForm, quote: ChangeQuote | None, now: datetime
) -> HttpResponse:
    """Make the change previewed (the amount shown is expected) and go back to the service."""
    data = form.cleaned_data
    tariff, addons = form.change()
    changed = bool(quote and quote.changed)
    expected = data.get("expected_total") or None
    actions.change_service(
        service,
        actor=Actor.client_of(request),
        now=now,
        tariff=tariff if changed else None,
        addons=addons if changed else None,
        auto_renew=data["auto_renew"],
        period=data["period"],
        request_key=data.get("request_key") or "",
        expected_total=Decimal(expected) if expected else None,
    )
    messages.success(request, _("The service is changed."))
    return redirect("clientarea:service", pk=service.pk)


def _edit_context(service: Service, form: EditForm, quote: ChangeQuote | None) -> dict[str, Any]:
    currency = service.client.currency
    return {
        "service": service,
        "form": form,
        "quote": quote,
        "quote_total": format_money(quote.total, currency) if quote else "",
        "quote_total_raw": f"{quote.total:f}" if quote else "",
        "lines": [(line.description, format_money(line.amount, currency)) for line in quote.lines] if quote else [],
        # Net and tax when the lines carry tax (invoicing): the total is what is charged.
        "tax": quote.tax if quote and quote.tax and quote.tax.taxed else None,
    }


def _parameter_field(parameter: Any) -> forms.Field:
    """A parameter's field: a choice offers its labels in the reader's language."""
    if parameter.choices:
        return forms.ChoiceField(
            label=parameter.label, choices=[("", "—"), *parameter.choice_items()], required=parameter.required
        )
    return forms.CharField(label=parameter.label, required=parameter.required)


@client_required
@require_http_methods(["GET", "POST"])
def service_configure(request: HttpRequest, pk: int) -> HttpResponse:
    service = own_service(request, pk)
    parameters = list(service.product_type.parameters.all())
    fields = {f"param_{p.code}": _parameter_field(p) for p in parameters}
    form_class = type("ConfigureForm", (forms.Form,), fields)
    form = form_class(request.POST or None, initial={f"param_{k}": v for k, v in service.parameters.items()})
    if request.method == "POST" and form.is_valid():
        values = {name.removeprefix("param_"): value for name, value in form.cleaned_data.items()}
        try:
            actions.configure_service(service, values, actor=Actor.client_of(request), now=timezone.now())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Thank you: activation has started."))
            return redirect("clientarea:service", pk=service.pk)
    return render(request, "clientarea/orders/configure.html", {"service": service, "form": form})
