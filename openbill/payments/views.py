"""The gateways' HTTP surface: the test card gateway's callback and checkout, Stripe's webhook.

Both answer 404 unless the test gateway is switched on (``OPENBILL_CARD_TEST_MODE``).
``card_notify`` is Openbill's callback: it trusts nothing but a valid signature. ``card_checkout``
is the stand-in provider's hosted page: it reads only its own signed checkout token, never
Openbill's tables, and tells Openbill the outcome by an HTTP notification like a real provider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import actions, cards, paypal_flow
from .gateway_accounts import on_anywhere
from .gateways import InvalidNotification, MalformedNotification, card, paypal, stripe_gateway
from .models import Payment

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def card_notify(request: HttpRequest) -> HttpResponse:
    if not card.CardGateway.enabled():
        raise Http404
    gateway = card.CardGateway()
    try:
        notification = gateway.parse_notification(request.body, request.headers)
    except MalformedNotification as exc:
        log.warning("card notification refused: %s", exc)
        return JsonResponse({"detail": "malformed"}, status=400)
    except InvalidNotification as exc:
        log.warning("card notification refused: %s", exc)
        return JsonResponse({"detail": "invalid signature"}, status=400)
    outcome = actions.handle_notification(gateway.code, notification, now=timezone.now())
    status = 200 if outcome in ("credited", "duplicate", "already credited", "failed") else 400
    return JsonResponse({"result": outcome}, status=status)


def _webhook(name: str, apply: Callable[[], str]) -> HttpResponse:
    """A gateway's event: only what the gateway verified is applied; every verified event is
    answered 2xx (an unknown or settled payment, another event type included) so that the
    gateway stops retrying it."""
    try:
        outcome = apply()
    except MalformedNotification as exc:
        log.info("%s event ignored: %s", name, exc)
        return JsonResponse({"result": "ignored"})
    except InvalidNotification as exc:
        log.warning("%s event refused: %s", name, exc)
        return JsonResponse({"detail": "invalid signature"}, status=400)
    return JsonResponse({"result": outcome})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events, signed with the endpoint's secret."""
    if not on_anywhere(stripe_gateway.CODE):
        raise Http404
    signature = request.headers.get("Stripe-Signature", "")
    return _webhook("stripe", lambda: cards.handle_webhook(request.body, signature, now=timezone.now()))


@csrf_exempt
@require_POST
def paypal_webhook(request: HttpRequest) -> HttpResponse:
    """PayPal's events, verified by PayPal's own verify-webhook-signature call."""
    if not on_anywhere(paypal.CODE):
        raise Http404
    return _webhook("paypal", lambda: paypal_flow.handle_webhook(request.body, request.headers, now=timezone.now()))


def paypal_return(request: HttpRequest, reference: str) -> HttpResponse:
    """The client is back from PayPal: Openbill captures the order itself; the client's coming
    back proves nothing, PayPal's answer to the capture does."""
    payment = Payment.objects.select_related("client").filter(reference=reference, method=paypal.CODE).first()
    if payment is None or not paypal.enabled(payment.client.provider_id):
        raise Http404
    paypal_flow.capture(payment, now=timezone.now())
    return HttpResponseRedirect(reverse("clientarea:payment", args=[payment.pk]))


@require_http_methods(["GET", "POST"])
def card_checkout(request: HttpRequest, token: str) -> HttpResponse:
    if not card.CardGateway.enabled():
        raise Http404
    try:
        checkout = card.read_checkout_token(token)
    except InvalidNotification:
        return HttpResponseBadRequest(_("This payment link is not valid."))
    error = ""
    if request.method == "POST":
        if "cancel" in request.POST:
            return _back(checkout, "cancelled")
        number = "".join(ch for ch in request.POST.get("card_number", "") if ch.isdigit())
        if len(number) < 12:
            error = _("Enter the card number.")
        else:
            declined = card.DECLINED_CARDS.get(number, "")
            body = card.notification_body(checkout, succeeded=not declined, failure_code=declined)
            try:
                card.send_notification(checkout["notify_url"], body)
            except Exception:  # the merchant being down is the provider's retry problem, not the client's
                log.exception("card notification could not be delivered")
            return _back(checkout, "declined" if declined else "done")
    return render(request, "payments/card_checkout.html", {"checkout": checkout, "error": error})


def _back(checkout: dict[str, str], outcome: str) -> HttpResponse:
    # The return URL came inside the token Openbill signed, so it is Openbill's own.
    url = checkout.get("return_url") or "/"
    separator = "&" if "?" in url else "?"
    return HttpResponseRedirect(f"{url}{separator}outcome={outcome}")
