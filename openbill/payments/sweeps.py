"""Payments' periodic work: forget Idempotency-Key records once they are older than twice the
24 hours they must be kept (reliability.md, invariant 7); ask again for gateway refunds whose
task was lost (the provider dedups them by their idempotency key); charge saved cards for the
renewals the balance cannot cover, every 15 minutes ahead of the renew sweep (cards.run_autopay);
compare Stripe's charges with Openbill's payments once a day; fail card checkouts left unfinished
for OPENBILL_CARD_CHECKOUT_MINUTES."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from openbill.core import idempotency
from openbill.core.scheduler import register


@task()
def purge_idempotency_keys() -> int:
    return idempotency.purge(timezone.now())


@register("idempotency-purge", every_seconds=3600)
def enqueue_purge(now: datetime) -> object:
    return purge_idempotency_keys.enqueue()


@register("refund-retry", every_seconds=300)
def enqueue_pending_refunds(now: datetime) -> object:
    from .actions import pending_refunds
    from .tasks import send_refund_task

    return [send_refund_task.enqueue(pk) for pk in pending_refunds(now - timedelta(minutes=5))]


@register("card-autopay", every_seconds=900)
def enqueue_autopay(now: datetime) -> object:
    from openbill.payments.gateways import stripe_gateway

    from .tasks import autopay_task

    return autopay_task.enqueue() if stripe_gateway.enabled() else None


@register("stripe-reconciliation", every_seconds=24 * 3600)
def enqueue_reconciliation(now: datetime) -> object:
    from openbill.payments.gateways import stripe_gateway

    from .tasks import reconcile_charges_task

    return reconcile_charges_task.enqueue() if stripe_gateway.enabled() else None


def preview(at: datetime) -> list[str]:
    """``openbill preview``: the saved-card charges the automatic payment would make at ``at``."""
    from django.utils.translation import gettext as _

    from openbill.clients.models import Client
    from openbill.core.money import format_money

    from .cards import plan_autopay
    from .gateways import stripe_gateway

    if not stripe_gateway.enabled():
        return []
    planned = plan_autopay(at)
    emails = dict(Client.objects.filter(pk__in={p.client_id for p in planned}).values_list("pk", "email"))
    return [
        _("Charge %(amount)s to the default card of %(email)s for the renewal of service #%(service)s")
        % {"amount": format_money(p.amount, p.currency), "email": emails[p.client_id], "service": p.service_id}
        for p in planned
    ]


@task()
def expire_checkouts_task() -> int:
    from .actions import expire_checkouts

    return expire_checkouts(timezone.now())


@register("card-checkout-expiry", every_seconds=300)
def enqueue_checkout_expiry(now: datetime) -> object:
    return expire_checkouts_task.enqueue()
