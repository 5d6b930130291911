"""Staff pages of payments: each provider's Stripe and PayPal accounts (keys write-only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from openbill.clients.models import Provider
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.urls import absolute_url

from . import gateway_accounts as accounts


@staff_member_required
def gateways(request: HttpRequest) -> HttpResponse:
    providers = Provider.objects.order_by("name")
    return render(request, "payments/staff/gateways.html", {"title": _("Payment gateways"), "providers": providers})


@staff_member_required
@require_http_methods(["GET", "POST"])
def provider_gateways(request: HttpRequest, provider_id: int) -> HttpResponse:
    """A provider's Stripe and PayPal accounts: a secret is never shown back, and one left empty
    keeps the stored value."""
    provider = get_object_or_404(Provider, pk=provider_id)
    status = 200
    if request.method == "POST":
        gateway, post = request.POST.get("gateway", ""), request.POST
        values = {f.name: post.get(f.name, "")[:500] for f in accounts.FIELDS.get(gateway, ())}
        try:
            accounts.save_account(
                provider, gateway, enabled=post.get("enabled") == "1", live=post.get("live") == "1",
                values=values, actor=Actor.of_user(request.user), now=timezone.now(),
                currencies=post.get("currencies", "")[:500],
            )  # fmt: skip
        except DomainError as exc:
            messages.error(request, f"{accounts.LABELS.get(gateway, gateway)}: {exc.message}")
            status = 400
        else:
            messages.success(request, _("%(gateway)s was saved.") % {"gateway": accounts.LABELS[gateway]})
            return redirect("staff:payment_gateways_provider", provider_id=provider.pk)
    context = {"title": provider.name, "provider": provider, "accounts": accounts.account_views(provider)}
    return render(request, "payments/staff/provider.html", {**context, "webhooks": _webhooks()}, status=status)


def _webhooks() -> dict[str, str]:
    """The webhook URLs to give each gateway."""
    return {
        accounts.STRIPE: absolute_url(reverse("payments:stripe_webhook")),
        accounts.PAYPAL: absolute_url(reverse("payments:paypal_webhook")),
    }
