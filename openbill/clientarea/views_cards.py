"""Paying by card through Stripe, and Finances → Payment methods (saved cards).

The card number is typed into Stripe.js (``STRIPE_JS_URL``) and goes to Stripe, never here: the
pages give Stripe.js a SetupIntent's client secret and post back only its id (or a saved card's).
Whether a payment succeeded is recorded from Stripe's own answer or its signed webhook, never
from the browser coming back.
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
    context = {
        **context,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    return _with_stripe_js(request, render(request, template, context))


@client_required
@require_http_methods(["GET", "POST"])
def payment_card(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay a pending Stripe payment: a saved card, or a new one through Stripe.js; then, if the
    bank asks, 3-D Secure in Stripe.js. The page never decides that the payment succeeded."""
    if not stripe_gateway.enabled():
        raise Http404
    client = request.client  # type: ignore[attr-defined]
    payment = get_object_or_404(Payment.objects.for_client(client).filter(method=stripe_gateway.CODE), pk=pk)
    now = timezone.now()
    if request.method == "POST" and payment.status == PaymentStatus.PENDING:
        card = None
        if request.POST.get("card"):
            card = SavedCard.objects.filter(client=client, removed_at__isnull=True, pk=request.POST["card"]).first()
            if card is None:
                messages.error(request, _("Choose one of your cards."))
                return redirect("clientarea:payment_card", pk=payment.pk)
        try:
            outcome = cards.pay_with_card(
                payment,
                now=now,
                card=card,
                setup_intent_id=request.POST.get("setup_intent", "")[:200],
                save=request.POST.get("save") == "1",
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("clientarea:payment_card", pk=payment.pk)
        if outcome == "declined":
            messages.error(request, _("The card was declined. Start a new payment to try another card."))
        elif outcome == cards.REQUIRES_ACTION:
            return redirect("clientarea:payment_card", pk=payment.pk)
        return redirect("clientarea:payment", pk=payment.pk)
    if request.GET.get("authenticated") and payment.status == PaymentStatus.PENDING:
        # Back from Stripe.js's 3-D Secure: ask Stripe (not the browser) how it ended.
        cards.refresh(payment, now=now)
        return redirect("clientarea:payment", pk=payment.pk)
    payment.refresh_from_db()
    context: dict[str, object] = {"payment": payment, "saved_cards": [], "intent_secret": "", "setup_secret": ""}
    if payment.status == PaymentStatus.PENDING:
        if payment.provider_id:
            intent = cards.intent_for_page(payment)
            waiting = (cards.REQUIRES_ACTION, "requires_payment_method")
            if intent is not None and payment.provider_status == cards.REQUIRES_ACTION and intent.status in waiting:
                context["intent_secret"] = intent.client_secret
                # Off session at Stripe the intent waits for the card again: confirm with it.
                context["intent_method"] = payment.saved_card.provider_id if payment.saved_card else ""
        elif not payment.provider_status:
            try:
                _setup_id, context["setup_secret"] = cards.start_card_setup(client, now=now)
            except DomainError as exc:
                messages.error(request, exc.message)
            context["saved_cards"] = cards.active_cards(client)
    return _stripe_page(request, "clientarea/finances/payment_card.html", context)


@client_required
@require_http_methods(["GET", "POST"])
def payment_methods(request: HttpRequest) -> HttpResponse:
    """Finances → Payment methods: the saved cards, add one (with the consent to later charges)."""
    if not stripe_gateway.enabled():
        raise Http404
    client = request.client  # type: ignore[attr-defined]
    now = timezone.now()
    if request.method == "POST":
        try:
            cards.save_card(
                client,
                request.POST.get("setup_intent", "")[:200],
                make_default=request.POST.get("default") == "1",
                now=now,
            )
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
    return _stripe_page(
        request,
        "clientarea/finances/payment_methods.html",
        {"saved_cards": cards.active_cards(client), "setup_secret": setup_secret},
    )


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
