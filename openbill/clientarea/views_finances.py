"""The client area's money pages: top up the balance (for an order's deficit, too) and the
client's payments with a bank transfer's instructions.

A payment resolves through the caller's own payments (another client's → 404); starting one is
openbill.payments' action, as in the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.money import round_amount
from openbill.core.urls import absolute_url
from openbill.invoicing import selectors as invoicing
from openbill.orders.models import Order, OrderStatus
from openbill.payments import actions as payments
from openbill.payments import gateways
from openbill.payments import selectors as payment_selectors
from openbill.payments.gateways import StartResult
from openbill.payments.models import Payment

from .access import client_required
from .forms_orders import TopUpForm, add_domain_error
from .shortcuts import client_of


@client_required
@require_http_methods(["GET", "POST"])
def topup(request: HttpRequest) -> HttpResponse:
    client = client_of(request)
    form = TopUpForm(
        request.POST or None,
        initial=TopUpForm.initial_from(request.GET),
        provider_id=client.provider_id,
        currency=client.currency,
    )
    if request.method == "POST" and form.is_valid():
        try:
            payment, result = _start_payment(request, form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
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


def _start_payment(request: HttpRequest, data: dict[str, Any]) -> tuple[Payment, StartResult]:
    """Start the payment; with an order, one of the caller's orders waiting for payment."""
    client = client_of(request)
    order = None
    if data.get("order"):
        order = get_object_or_404(Order.objects.for_client(client).filter(status=OrderStatus.PENDING), pk=data["order"])
    return payments.start_payment(
        client,
        method=data["method"],
        amount=data["amount"],
        order=order,
        actor=Actor.client_of(request),
        now=timezone.now(),
        return_url=absolute_url(reverse("clientarea:payments")),
        request_key=data.get("request_key") or "",
    )


@client_required
def payment_list(request: HttpRequest) -> HttpResponse:
    client = client_of(request)
    rows = list(Payment.objects.for_client(client).order_by("-id")[:100])
    outcome = request.GET.get("outcome")
    if outcome == "done":
        messages.info(request, _("Thank you. The payment is credited as soon as the card provider confirms it."))
    elif outcome == "cancelled":
        messages.warning(request, _("The payment was not made."))
    # A decline says why and offers to try again (the payment's own page does too).
    declined = payment_selectors.latest_failed(client) if outcome == "declined" else None
    context = {
        "payments": rows,
        "declined_reason": payment_selectors.failure_reason(declined) if declined else "",
        "try_again_url": _try_again_url(declined) if declined else "",
    }
    return render(request, "clientarea/orders/payments.html", context)


def _try_again_url(payment: Payment) -> str:
    """The top-up form filled in as the failed payment was (its amount, the order it paid)."""
    query = {"amount": f"{round_amount(payment.amount, payment.currency):f}"}
    if payment.order_id:
        query["order"] = str(payment.order_id)
    return f"{reverse('clientarea:topup')}?{urlencode(query)}"


@client_required
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_of(request)
    payment = get_object_or_404(Payment.objects.for_client(client).select_related("client__provider"), pk=pk)
    instructions = ""
    gateway = gateways.get(payment.method)
    if gateway.confirmed_by_staff:
        instructions = gateway.start(payment, return_url="").instructions
    reason = payment_selectors.failure_reason(payment)
    context = {
        "payment": payment,
        "instructions": instructions,
        "failure_reason": reason,
        "try_again_url": _try_again_url(payment) if reason else "",
    }
    return render(request, "clientarea/orders/payment.html", context)
