"""The client area's ordering and money pages: order, cart, Orders, extend, edit, configure,
instruction manual, top-up and payments.

Every id in a URL resolves through the caller's own records (another client's → 404). The
views parse input, call one action from openbill.orders / openbill.payments, and render; a
domain error goes back to the form, on the field it names, and nothing has changed.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from openbill.catalog.instructions import render_instructions
from openbill.catalog.models import ValueType
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, InsufficientFunds, NotAllowed, NothingChanged
from openbill.core.money import format_amount
from openbill.core.timeutil import PERIOD_SUFFIX, Period, add_period, local_date
from openbill.core.urls import absolute_url
from openbill.invoicing import selectors as invoicing
from openbill.invoicing.selectors import charge_amount
from openbill.orders import actions
from openbill.orders.models import LineKind, Order, OrderLine, OrderStatus
from openbill.orders.pricing import CLIENT_BILLING_TYPES, quote_change, quote_new, tariffs_for
from openbill.payments import actions as payments
from openbill.payments.models import Payment
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.rules import Action, allowed_actions, refusal
from openbill.services.selectors import client_services, renewal_amount, with_pricing

from .access import client_required


def _client(request: HttpRequest) -> Any:
    return request.client  # type: ignore[attr-defined]


def _service(request: HttpRequest, pk: int) -> Service:
    return get_object_or_404(client_services(_client(request)), pk=pk)


def _refused(request: HttpRequest, service: Service, action: str) -> HttpResponse | None:
    """Back to the service page with the reason, when its state does not allow ``action``."""
    if action in allowed_actions(service):
        return None
    messages.error(request, refusal(service))
    return redirect("clientarea:service", pk=service.pk)


def _topup_url(amount: Any = None, order: Order | None = None) -> str:
    query = {}
    if amount:
        query["amount"] = str(amount)
    if order is not None:
        query["order"] = str(order.pk)
    return reverse("clientarea:topup") + (f"?{urlencode(query)}" if query else "")


def _funds_message(request: HttpRequest, exc: InsufficientFunds) -> None:
    messages.error(request, exc.message)


def _field_for(domain_field: str | None) -> str | None:
    """Map an action's field name (``addons.ram``) to the form's (``addon_ram``)."""
    if not domain_field:
        return None
    if domain_field.startswith("addons."):
        return "addon_" + domain_field.split(".", 1)[1]
    if domain_field.startswith("parameters."):
        return "param_" + domain_field.split(".", 1)[1]
    return domain_field


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    name = _field_for(exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


# --- ordering -------------------------------------------------------------------------------


@client_required
def catalog(request: HttpRequest) -> HttpResponse:
    tariffs = list(
        tariffs_for(_client(request).provider).filter(orderable=True).order_by("product_type__name", "position")
    )
    groups: dict[Any, list[Any]] = {}
    for tariff in tariffs:
        tariff.price_rows = [  # type: ignore[attr-defined]
            f"{format_amount(p.price, _client(request).currency)}/{PERIOD_SUFFIX[Period(p.period)]}"
            for p in tariff.prices.all()
        ]
        groups.setdefault(tariff.product_type, []).append(tariff)
    return render(request, "clientarea/orders/catalog.html", {"groups": groups})


class OrderForm(forms.Form):
    """A tariff's order form, built from its periods, add-ons and the product's parameters."""

    request_key = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=200, required=False)
    promo_code = forms.CharField(label=gettext_lazy("Promo code"), max_length=40, required=False)

    def __init__(self, tariff: Any, currency: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tariff = tariff
        self.fields["period"] = forms.ChoiceField(
            label=_("Period"),
            choices=[
                (p.period, f"{Period(p.period).label} — {format_amount(p.price, currency)}")
                for p in tariff.prices.all()
            ],
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        )
        self.addon_fields: list[str] = []
        for addon in tariff.addons.all():
            if addon.billing_type not in CLIENT_BILLING_TYPES:
                continue
            name = f"addon_{addon.resource}"
            label = f"{addon.name}" + (f" ({addon.unit})" if addon.unit else "")
            if addon.value_type == ValueType.ENUM:
                items = [(i.code, i.name) for i in addon.items.all() if i.enabled]
                self.fields[name] = forms.ChoiceField(label=label, choices=items, required=False)
            elif addon.value_type == ValueType.BOOLEAN:
                self.fields[name] = forms.BooleanField(
                    label=label, required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
                )
            else:
                attrs = {"min": f"{addon.minimum.normalize():f}", "step": f"{addon.step.normalize():f}"}
                if addon.maximum is not None:
                    attrs["max"] = f"{addon.maximum.normalize():f}"
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    initial=f"{max(addon.minimum, addon.included).normalize():f}",
                    widget=forms.NumberInput(attrs=attrs),
                    help_text=_("%(included)s included") % {"included": f"{addon.included.normalize():f}"}
                    if addon.included
                    else "",
                )
            self.addon_fields.append(name)
        self.param_fields: list[str] = []
        for parameter in tariff.product_type.parameters.all():
            name = f"param_{parameter.code}"
            if parameter.choices:
                self.fields[name] = forms.ChoiceField(
                    label=parameter.label, choices=[("", "—")] + [(c, c) for c in parameter.choices], required=False
                )
            else:
                self.fields[name] = forms.CharField(label=parameter.label, required=False, max_length=4000)
            self.param_fields.append(name)
        if tariff.quick_order:
            self.fields["quick"] = forms.BooleanField(
                label=_("Quick order: I will give the parameters after payment"),
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        addons = {}
        for name in self.addon_fields:
            value = data.get(name)
            if isinstance(value, bool):
                value = "1" if value else "0"
            if value not in (None, ""):
                addons[name.removeprefix("addon_")] = value
        parameters = {name.removeprefix("param_"): data.get(name) or "" for name in self.param_fields}
        return {
            "tariff": self.tariff.pk,
            "period": data.get("period"),
            "addons": addons,
            "parameters": parameters,
            "quick": bool(data.get("quick")),
            "promo_code": (data.get("promo_code") or "").strip(),
        }


@client_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, tariff_id: int) -> HttpResponse:
    client = _client(request)
    tariff = get_object_or_404(tariffs_for(client.provider).filter(orderable=True), pk=tariff_id)
    initial = {"request_key": uuid.uuid4().hex}
    first = next(iter(tariff.prices.all()), None)
    if first is not None:
        initial["period"] = first.period
    form = OrderForm(tariff, client.currency, request.POST or None, initial=initial)
    quote = None
    status = 200
    action = request.POST.get("action", "quote")
    if request.method == "POST" and form.is_valid() and action in ("cart", "pay"):
        spec = form.spec()
        actor, now = Actor.client_of(request), timezone.now()
        extra = {"name": form.cleaned_data["name"], "request_key": form.cleaned_data["request_key"]}
        try:
            if action == "cart":
                actions.place_order(client, actor=actor, now=now, **extra, **spec)
                messages.success(request, _("Added to the cart."))
                return redirect("clientarea:cart")
            order = actions.order_now(client, actor=actor, now=now, **extra, **spec)
            return _pay_and_redirect(request, order)
        except DomainError as exc:
            _add_domain_error(form, exc)
            # Refused for who the client is (ordering blocked under an abuse review), not for what
            # was typed: the page says why with the status the API gives.
            status = 403 if isinstance(exc, NotAllowed) else 200
    # The price of what is chosen so far (parameters do not change it).
    quote = None
    if first is not None:
        addons = None
        if form.is_bound:
            values = form.data
            addons = {
                name.removeprefix("addon_"): values.get(name)
                for name in form.addon_fields
                if values.get(name) not in (None, "")
            }
        try:
            period = (form.data.get("period") if form.is_bound else None) or first.period
            code = (form.data.get("promo_code") or "").strip() if form.is_bound else ""
            try:
                quote = quote_new(
                    client, tariff=tariff, period=period, addons=addons, validate_parameters=False, promo_code=code
                )
            except DomainError as exc:
                if exc.field != "promo_code":
                    raise
                form.add_error("promo_code", exc.message)
                quote = quote_new(client, tariff=tariff, period=period, addons=addons, validate_parameters=False)
        except DomainError:
            quote = None
    context = {"tariff": tariff, "form": form, "quote": quote}
    if request.htmx and action == "quote":  # type: ignore[attr-defined]
        return render(request, "clientarea/orders/_price.html", context)
    return render(request, "clientarea/orders/new.html", context, status=status)


def _pay_and_redirect(request: HttpRequest, order: Order) -> HttpResponse:
    """Pay from the balance; when it does not cover the order, say by how much and offer a top-up
    that pays the order once the money arrives (the order stays in Pending payment)."""
    try:
        actions.pay_order(order, actor=Actor.client_of(request), now=timezone.now())
    except InsufficientFunds as exc:
        _funds_message(request, exc)
        return redirect(_topup_url(exc.details.get("deficit"), order))
    messages.success(request, _("Order #%(id)s is paid. Activation has started.") % {"id": order.pk})
    return redirect("clientarea:orders")


# --- cart and orders ------------------------------------------------------------------------


def _cart_lines(client: Any) -> list[OrderLine]:
    return list(OrderLine.objects.for_client(client).in_cart().select_related("service__product_type").order_by("id"))


@client_required
def cart(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    lines = _cart_lines(client)
    total = sum((line.amount for line in lines), Decimal(0))
    return render(
        request,
        "clientarea/orders/cart.html",
        {"lines": lines, "total": format_amount(total, client.currency), "has_lines": bool(lines)},
    )


@client_required
@require_POST
def cart_remove(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(OrderLine.objects.for_client(_client(request)).in_cart(), pk=pk)
    actions.remove_line(line, actor=Actor.client_of(request), now=timezone.now())
    messages.success(request, _("Removed from the cart."))
    return redirect("clientarea:cart")


@client_required
@require_POST
def cart_empty(request: HttpRequest) -> HttpResponse:
    actions.empty_cart(_client(request), actor=Actor.client_of(request), now=timezone.now())
    messages.success(request, _("The cart is empty."))
    return redirect("clientarea:cart")


@client_required
@require_POST
def cart_checkout(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    actor, now = Actor.client_of(request), timezone.now()
    try:
        with transaction.atomic():
            order = actions.checkout(client, actor=actor, now=now)
            actions.pay_order(order, actor=actor, now=now)
    except InsufficientFunds as exc:
        # Nothing changed: the cart is as it was. Offer a top-up for the deficit.
        _funds_message(request, exc)
        return redirect("clientarea:cart")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("clientarea:cart")
    messages.success(request, _("Order #%(id)s is paid. Activation has started.") % {"id": order.pk})
    return redirect("clientarea:orders")


@client_required
def orders(request: HttpRequest) -> HttpResponse:
    """The seed's two blocks: pending payment (with Pay) and paid services (Instruction Manual)."""
    client = _client(request)
    pending = list(
        Order.objects.for_client(client)
        .filter(status=OrderStatus.PENDING)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("service").order_by("id")))
        .order_by("-id")
    )
    cart_lines = _cart_lines(client)
    paid = list(
        client_services(client)
        .filter(order_lines__kind=LineKind.NEW, order_lines__paid_at__isnull=False)
        .exclude(status=Status.DELETED)
        .distinct()
        .order_by("-id")
    )
    return render(
        request,
        "clientarea/orders/index.html",
        {
            "pending": pending,
            "cart_lines": cart_lines,
            "cart_total": format_amount(sum((line.amount for line in cart_lines), Decimal(0)), client.currency),
            "paid": paid,
        },
    )


@client_required
@require_POST
def order_pay(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.for_client(_client(request)), pk=pk)
    return _pay_and_redirect(request, order)


@client_required
def service_instructions(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    if not service.product_type.instruction_template.strip():
        raise Http404
    text = render_instructions(service)
    return render(request, "clientarea/orders/instructions.html", {"service": service, "text": text})


# --- extend ---------------------------------------------------------------------------------


@client_required
@require_http_methods(["GET", "POST"])
def service_extend(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request)
    service = _service(request, pk)
    if (refused := _refused(request, service, Action.EXTEND)) is not None:
        return refused
    if service.period == Period.DAY:
        # Daily-priced services draw from the balance each day: top up instead.
        messages.info(request, _("This service is charged daily from the balance: top up to keep it running."))
        return redirect("clientarea:topup")
    now = timezone.now()
    start = actions.extension_start(service, now)
    tz = client.provider.tz
    options = []
    for price in service.tariff.prices.all():
        if price.period == Period.DAY:
            continue
        amount = renewal_amount(service, price.period)
        if amount is None:
            continue
        options.append(
            {
                "period": price.period,
                "label": Period(price.period).label,
                "amount": format_amount(charge_amount(client, amount, now=now), client.currency),
                "until": local_date(add_period(start, price.period, tz), tz).isoformat(),
            }
        )
    error = ""
    if request.method == "POST":
        period = request.POST.get("period", "")
        expected = request.POST.get("expected_start", "")
        try:
            from datetime import datetime

            expected_start = datetime.fromisoformat(expected) if expected else None
        except ValueError:
            expected_start = None
        try:
            renewal = actions.extend_service(
                service, period=period, actor=Actor.client_of(request), now=now, expected_start=expected_start
            )
        except InsufficientFunds as exc:
            error = exc.message
            return render(
                request,
                "clientarea/orders/extend.html",
                {
                    "service": service,
                    "options": options,
                    "start": start,
                    "error": error,
                    "topup_url": _topup_url(exc.details.get("deficit")),
                    "selected": period,
                },
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("The service is extended until %(date)s.") % {"date": local_date(renewal.period_end, tz).isoformat()},
            )
            return redirect("clientarea:service", pk=service.pk)
    return render(
        request,
        "clientarea/orders/extend.html",
        {
            "service": service,
            "options": options,
            "start": start,
            "error": error,
            "selected": request.POST.get("period") or service.period,
        },
    )


# --- edit -----------------------------------------------------------------------------------


class EditForm(forms.Form):
    auto_renew = forms.BooleanField(
        label=gettext_lazy("Auto-renewal"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)
    expected_total = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, service: Service, tariffs: list[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = next(t for t in tariffs if t.pk == service.tariff_id)
        self.fields["period"] = forms.ChoiceField(
            label=_("Auto-renewal period"),
            choices=[(p.period, Period(p.period).label) for p in current.prices.all()]
            if service.period != Period.DAY
            else [(Period.DAY, Period.DAY.label)],
        )
        self.fields["tariff"] = forms.ChoiceField(label=_("Tariff"), choices=[(t.pk, t.name) for t in tariffs])
        self.addon_fields: list[str] = []
        present = {line.addon_id: line.enum_item for line in service.addons.all() if line.enum_item is not None}
        for addon in current.addons.all():
            if addon.billing_type not in CLIENT_BILLING_TYPES:
                continue
            name = f"addon_{addon.resource}"
            label = f"{addon.name}" + (f" ({addon.unit})" if addon.unit else "")
            if addon.value_type == ValueType.ENUM:
                # The service's present item is offered even if retired, so that a form the
                # client does not touch submits it and nothing changes.
                mine = present.get(addon.pk)
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    choices=[(i.code, i.name) for i in addon.items.all() if i.enabled or (mine and i.pk == mine.pk)],
                    required=False,
                )
            else:
                self.fields[name] = forms.CharField(label=label, required=False, widget=forms.NumberInput())
            self.addon_fields.append(name)

    def addons(self) -> dict[str, Any]:
        return {
            name.removeprefix("addon_"): self.cleaned_data[name]
            for name in self.addon_fields
            if self.cleaned_data.get(name) not in (None, "")
        }


@client_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit parameters: the exact amount is shown first (Preview), then confirmed."""
    client = _client(request)
    service = _service(request, pk)
    if (refused := _refused(request, service, Action.EDIT)) is not None:
        return refused
    all_tariffs = tariffs_for(client.provider)
    current = all_tariffs.get(pk=service.tariff_id)
    allowed = [current, *all_tariffs.filter(pk__in=current.changeable_to.values("pk"))]
    initial: dict[str, Any] = {
        "auto_renew": service.auto_renew,
        "period": service.period,
        "tariff": service.tariff_id,
        "request_key": uuid.uuid4().hex,
    }
    for line in service.addons.all():
        value = line.enum_item.code if line.enum_item else f"{line.quantity.normalize():f}"
        initial[f"addon_{line.addon.resource}"] = value
    form = EditForm(service, allowed, request.POST or None, initial=initial)
    quote = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tariff = int(data["tariff"])
        # A tariff change keeps the add-ons by resource; the form's add-on fields are the
        # current tariff's, so they apply only when the tariff stays.
        addons = form.addons() if tariff == service.tariff_id else None
        now = timezone.now()
        try:
            priced = with_pricing(Service.objects.filter(pk=service.pk)).get()
            if service.status in (Status.ACTIVE, Status.SUSPENDED):
                quote = quote_change(priced, now=now, tariff=tariff, addons=addons)
            if request.POST.get("action") == "confirm":
                expected = data.get("expected_total") or None
                actions.change_service(
                    service,
                    actor=Actor.client_of(request),
                    now=now,
                    tariff=tariff if quote and quote.changed else None,
                    addons=addons if quote and quote.changed else None,
                    auto_renew=data["auto_renew"],
                    period=data["period"],
                    request_key=data.get("request_key") or "",
                    expected_total=Decimal(expected) if expected else None,
                )
                messages.success(request, _("The service is changed."))
                return redirect("clientarea:service", pk=service.pk)
        except InsufficientFunds as exc:
            form.add_error(None, exc.message)
        except NothingChanged as exc:
            # No operation, no charge line: the service stays exactly as it was.
            messages.info(request, exc.message)
            return redirect("clientarea:service", pk=service.pk)
        except DomainError as exc:
            _add_domain_error(form, exc)
            quote = None
    context = {
        "service": service,
        "form": form,
        "quote": quote,
        "quote_total": format_amount(quote.total, client.currency) if quote else "",
        "quote_total_raw": f"{quote.total:f}" if quote else "",
        "lines": [(line.description, format_amount(line.amount, client.currency)) for line in quote.lines]
        if quote
        else [],
    }
    return render(request, "clientarea/orders/edit.html", context)


# --- quick order parameters -----------------------------------------------------------------


@client_required
@require_http_methods(["GET", "POST"])
def service_configure(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk)
    parameters = list(service.product_type.parameters.all())
    fields = {f"param_{p.code}": forms.CharField(label=p.label, required=p.required) for p in parameters}
    form_class = type("ConfigureForm", (forms.Form,), fields)
    form = form_class(request.POST or None, initial={f"param_{k}": v for k, v in service.parameters.items()})
    if request.method == "POST" and form.is_valid():
        values = {name.removeprefix("param_"): value for name, value in form.cleaned_data.items()}
        try:
            actions.configure_service(service, values, actor=Actor.client_of(request), now=timezone.now())
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("Thank you: activation has started."))
            return redirect("clientarea:service", pk=service.pk)
    return render(request, "clientarea/orders/configure.html", {"service": service, "form": form})


# --- top-up and payments --------------------------------------------------------------------


class TopUpForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Payment method"), widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )
    amount = forms.CharField(
        label=gettext_lazy("Amount"), widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"})
    )
    order = forms.IntegerField(widget=forms.HiddenInput, required=False)
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method = self.fields["method"]
        assert isinstance(method, forms.ChoiceField)
        method.choices = [(m.code, m.label) for m in payments.available_methods()]


@client_required
@require_http_methods(["GET", "POST"])
def topup(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    initial = {
        "amount": request.GET.get("amount", ""),
        "order": request.GET.get("order") or None,
        "method": "card",
        "request_key": uuid.uuid4().hex,
    }
    form = TopUpForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        order = None
        if data.get("order"):
            order = get_object_or_404(
                Order.objects.for_client(client).filter(status=OrderStatus.PENDING), pk=data["order"]
            )
        try:
            payment, result = payments.start_payment(
                client,
                method=data["method"],
                amount=data["amount"],
                order=order,
                actor=Actor.client_of(request),
                now=timezone.now(),
                return_url=absolute_url(reverse("clientarea:payments")),
                request_key=data.get("request_key") or "",
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            if result.redirect_url:
                return HttpResponseRedirect(result.redirect_url)
            return redirect("clientarea:payment", pk=payment.pk)
    context = {
        "form": form,
        "client": client,
        "needs_billing_profile": invoicing.needs_billing_profile(client),
        "tax": invoicing.treatment(client, on=timezone.now()),
    }
    return render(request, "clientarea/orders/topup.html", context)


@client_required
def payment_list(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    rows = list(Payment.objects.for_client(client).order_by("-id")[:100])
    outcome = request.GET.get("outcome")
    if outcome == "done":
        messages.info(request, _("Thank you. The payment is credited as soon as the card provider confirms it."))
    elif outcome in ("declined", "cancelled"):
        messages.warning(request, _("The payment was not made."))
    return render(request, "clientarea/orders/payments.html", {"payments": rows})


@client_required
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request)
    payment = get_object_or_404(Payment.objects.for_client(client).select_related("client__provider"), pk=pk)
    instructions = ""
    from openbill.payments import gateways

    gateway = gateways.get(payment.method)
    if gateway.confirmed_by_staff:
        instructions = gateway.start(payment, return_url="").instructions
    return render(request, "clientarea/orders/payment.html", {"payment": payment, "instructions": instructions})
