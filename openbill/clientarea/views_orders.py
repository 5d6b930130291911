"""The client area's ordering pages: the catalog, a tariff's order form, the cart, Orders (with
Pay) and a service's instruction manual.

Every id in a URL resolves through the caller's own records (another client's → 404). The
views parse input, call one action from openbill.orders, and render; a domain error goes back
to the form, on the field it names, and nothing has changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from openbill.catalog.instructions import render_instructions
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, InsufficientFunds, NotAllowed
from openbill.core.money import format_money
from openbill.core.paging import page_of
from openbill.core.timeutil import PERIOD_SUFFIX, Period
from openbill.orders import actions, selectors
from openbill.orders.models import Order, OrderLine
from openbill.orders.pricing import NewQuote, quote_new, tariffs_for
from openbill.services.rules import Action, allows

from .access import client_required
from .forms_orders import OrderForm, add_domain_error
from .shortcuts import client_of, own_service, topup_url

PAID_PER_PAGE = 20


@client_required
def catalog(request: HttpRequest) -> HttpResponse:
    tariffs = list(
        tariffs_for(client_of(request).provider).filter(orderable=True).order_by("product_type__name", "position")
    )
    groups: dict[Any, list[Any]] = {}
    for tariff in tariffs:
        tariff.price_rows = [  # type: ignore[attr-defined]
            f"{format_money(p.price, client_of(request).currency)}/{PERIOD_SUFFIX[Period(p.period)]}"
            for p in tariff.prices.all()
        ]
        groups.setdefault(tariff.product_type, []).append(tariff)
    return render(request, "clientarea/orders/catalog.html", {"groups": groups})


@client_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, tariff_id: int) -> HttpResponse:
    client = client_of(request)
    tariff = get_object_or_404(tariffs_for(client.provider).filter(orderable=True), pk=tariff_id)
    form = OrderForm(tariff, client.currency, request.POST or None, initial=OrderForm.initial_for(tariff))
    status = 200
    action = request.POST.get("action", "quote")
    if request.method == "POST" and form.is_valid() and action in ("cart", "pay"):
        try:
            return _place(request, form, to_cart=action == "cart")
        except DomainError as exc:
            add_domain_error(form, exc)
            # Refused for who the client is (ordering blocked under an abuse review), not for what
            # was typed: the page says why with the status the API gives.
            status = 403 if isinstance(exc, NotAllowed) else 200
    context = {"tariff": tariff, "form": form, "quote": _quote_so_far(client, form)}
    if request.htmx and action == "quote":  # type: ignore[attr-defined]
        return render(request, "clientarea/orders/_price.html", context)
    return render(request, "clientarea/orders/new.html", context, status=status)


def _place(request: HttpRequest, form: OrderForm, *, to_cart: bool) -> HttpResponse:
    """Into the cart, or ordered and paid at once ("Pay")."""
    actor, now = Actor.client_of(request), timezone.now()
    extra = {"name": form.cleaned_data["name"], "request_key": form.cleaned_data["request_key"]}
    if to_cart:
        actions.place_order(client_of(request), actor=actor, now=now, **extra, **form.spec())
        messages.success(request, _("Added to the cart."))
        return redirect("clientarea:cart")
    order = actions.order_now(client_of(request), actor=actor, now=now, **extra, **form.spec())
    return _pay_and_redirect(request, order)


def _quote_so_far(client: Any, form: OrderForm) -> NewQuote | None:
    """The price of what is chosen so far (parameters do not change it); None when it cannot
    be priced yet."""
    first = next(iter(form.tariff.prices.all()), None)
    if first is None:
        return None
    period = (form.data.get("period") if form.is_bound else None) or first.period
    code = (form.data.get("promo_code") or "").strip() if form.is_bound else ""
    chosen = {"tariff": form.tariff, "period": period, "addons": form.addons_so_far(), "validate_parameters": False}
    try:
        try:
            return quote_new(client, **chosen, promo_code=code)
        except DomainError as exc:
            if exc.field != "promo_code":
                raise
            form.add_error("promo_code", exc.message)
            return quote_new(client, **chosen)
    except DomainError:
        return None


def _pay_and_redirect(request: HttpRequest, order: Order) -> HttpResponse:
    """Pay from the balance; when it does not cover the order, say by how much and offer a top-up
    that pays the order once the money arrives (the order stays in Pending payment)."""
    try:
        actions.pay_order(order, actor=Actor.client_of(request), now=timezone.now())
    except InsufficientFunds as exc:
        messages.error(request, exc.message)
        return redirect(topup_url(exc.details.get("deficit"), order))
    messages.success(request, _("Order #%(id)s is paid. Activation has started.") % {"id": order.pk})
    return redirect("clientarea:orders")


def _cart(client: Client) -> tuple[list[OrderLine], str]:
    """The client's cart and its total as the pages show them."""
    lines = selectors.cart_lines(client)
    return lines, format_money(selectors.lines_total(lines), client.currency)


@client_required
def cart(request: HttpRequest) -> HttpResponse:
    lines, total = _cart(client_of(request))
    return render(request, "clientarea/orders/cart.html", {"lines": lines, "total": total, "has_lines": bool(lines)})


@client_required
@require_POST
def cart_remove(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(OrderLine.objects.for_client(client_of(request)).in_cart(), pk=pk)
    actions.remove_line(line, actor=Actor.client_of(request), now=timezone.now())
    messages.success(request, _("Removed from the cart."))
    return redirect("clientarea:cart")


@client_required
@require_POST
def cart_empty(request: HttpRequest) -> HttpResponse:
    actions.empty_cart(client_of(request), actor=Actor.client_of(request), now=timezone.now())
    messages.success(request, _("The cart is empty."))
    return redirect("clientarea:cart")


@client_required
@require_POST
def cart_checkout(request: HttpRequest) -> HttpResponse:
    try:
        order = actions.checkout_and_pay(client_of(request), actor=Actor.client_of(request), now=timezone.now())
    except DomainError as exc:
        # Nothing changed: the cart is as it was (short of money: the message says by how much).
        messages.error(request, exc.message)
        return redirect("clientarea:cart")
    messages.success(request, _("Order #%(id)s is paid. Activation has started.") % {"id": order.pk})
    return redirect("clientarea:orders")


@client_required
def orders(request: HttpRequest) -> HttpResponse:
    """The seed's two blocks: pending payment (with Pay) and paid services (Instruction Manual)."""
    client = client_of(request)
    cart_lines, cart_total = _cart(client)
    context = {
        "pending": selectors.pending_orders(client),
        "cart_lines": cart_lines,
        "cart_total": cart_total,
        "paid": (paid := page_of(selectors.paid_services(client), PAID_PER_PAGE, request.GET.get("page"))),
        "page": paid,
    }
    return render(request, "clientarea/orders/index.html", context)


@client_required
@require_POST
def order_pay(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.for_client(client_of(request)), pk=pk)
    return _pay_and_redirect(request, order)


@client_required
def service_instructions(request: HttpRequest, pk: int) -> HttpResponse:
    service = own_service(request, pk)
    if not service.product_type.instruction_template.strip():
        raise Http404
    if not allows(service, Action.INSTRUCTIONS):
        # Offered once the service is active and has every value the manual shows.
        messages.info(request, _("The instruction manual is available once the service is active."))
        return redirect("clientarea:service", service.pk)
    text = render_instructions(service)
    return render(request, "clientarea/orders/instructions.html", {"service": service, "text": text})
