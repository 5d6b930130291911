"""Paying by card through Stripe, and Finances → Payment methods (saved cards).

The card number is typed into Stripe.js (``STRIPE_JS_URL``) and goes to Stripe, never here: the
pages give Stripe.js a SetupIntent's client secret and post back only its id (or a saved card's).
Whether a payment succeeded is recorded from Stripe's own answer or its signed webhook, never
from the browser coming back. The keys are the client's provider's (``payments.gateway_accounts``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from openbill.core.csp import HEADER, policy_for
from openbill.core.errors import DomainError
from openbill.payments import cards
from openbill.payments.gateways import stripe_gateway
from openbill.payments.models import Payment, PaymentStatus, SavedCard

from .access import client_required


def _with_stripe_js(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """This page alone may load Stripe.js and talk to Stripe (PCI: the card form is Stripe's)."""
    parts = urlsplit(settings.STRIPE_JS_URL)
    origin = f"{parts.scheme}://{parts.netloc}"
    extra = {"script-src": origin, "frame-src": origin, "connect-src": origin}
    if not settings.STRIPE_API_BASE:
        extra["connect-src"] += " https://api.stripe.com"
    directives = []
    for part in policy_for(request).split(";"):
        name = part.strip().split(" ", 1)[0]
        if name in extra:
            part = f"{part.strip()} {extra.pop(name)}"
        directives.append(part.strip())
    directives += [f"{name} {value}" for name, value in extra.items()]
    response[HEADER] = "; ".join(d for d in directives if d)
    return response


def _stripe_page(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    context = {
        **context,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "stripe_publishable_key": cards.publishable_key(client),
    }
    return _with_stripe_js(request, render(request, template, context))


def _card_payment(request: HttpRequest, pk: int) -> Payment:
    client = request.client  # type: ignore[attr-defined]
    if not cards.offered(client):
        raise Http404
    return get_object_or_404(Payment.objects.for_client(client).filter(method=stripe_gateway.CODE), pk=pk)


@client_required
@require_http_methods(["GET", "POST"])
def payment_card(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay a pending Stripe payment: a saved card, or a new one through Stripe.js; then, if the
    bank asks, 3-D Secure in Stripe.js. The page never decides that the payment succeeded."""
    payment, now = _card_payment(request, pk), timezone.now()
    if request.method == "POST" and payment.status == PaymentStatus.PENDING:
        post = request.POST
        try:
            outcome = cards.pay_from_page(
                payment, card_id=post.get("card", ""), setup_intent_id=post.get("setup_intent", ""),
                save=post.get("save") == "1", now=now,
            )  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("clientarea:payment_card", pk=payment.pk)
        if outcome == "declined":
            messages.error(request, _("The card was declined. Start a new payment to try another card."))
        target = "clientarea:payment_card" if outcome == cards.REQUIRES_ACTION else "clientarea:payment"
        return redirect(target, pk=payment.pk)
    if request.GET.get("authenticated") and payment.status == PaymentStatus.PENDING:
        cards.refresh(payment, now=now)  # back from 3-D Secure: ask Stripe, not the browser
        return redirect("clientarea:payment", pk=payment.pk)
    page = cards.card_page(payment, now=now)
    if page.error:
        messages.error(request, page.error)
    return _stripe_page(request, "clientarea/finances/payment_card.html", {"payment": payment, **vars(page)})


@client_required
@require_http_methods(["GET", "POST"])
def payment_methods(request: HttpRequest) -> HttpResponse:
    """Finances → Payment methods: the saved cards, add one (with the consent to later charges)."""
    client, now = request.client, timezone.now()  # type: ignore[attr-defined]
    if not cards.offered(client):
        raise Http404
    if request.method == "POST":
        try:
            setup_intent = request.POST.get("setup_intent", "")[:200]
            cards.save_card(client, setup_intent, make_default=request.POST.get("default") == "1", now=now)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The card was added."))
        return redirect("clientarea:payment_methods")
    setup_secret = ""
    try:
        _setup_id, setup_secret = cards.start_card_setup(client, now=now)
    except DomainError as exc:
        messages.error(request, exc.message)
    context: dict[str, object] = {"saved_cards": cards.active_cards(client), "setup_secret": setup_secret}
    return _stripe_page(request, "clientarea/finances/payment_methods.html", context)


def _card(request: HttpRequest, pk: int) -> SavedCard:
    client = request.client  # type: ignore[attr-defined]
    return get_object_or_404(SavedCard.objects.filter(client=client, removed_at__isnull=True), pk=pk)


@client_required
@require_POST
def payment_method_default(request: HttpRequest, pk: int) -> HttpResponse:
    cards.set_default_card(_card(request, pk))
    messages.success(request, _("The default card was changed."))
    return redirect("clientarea:payment_methods")


@client_required
@require_POST
def payment_method_remove(request: HttpRequest, pk: int) -> HttpResponse:
    cards.remove_card(_card(request, pk), now=timezone.now())
    messages.success(request, _("The card was removed."))
    return redirect("clientarea:payment_methods")
