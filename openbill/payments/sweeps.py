"""Payments' periodic work: forget Idempotency-Key records once they are older than twice the
24 hours they must be kept (reliability.md, invariant 7); ask again for gateway refunds whose
task was lost (the provider dedups them by their idempotency key); charge saved cards for the
renewals the balance cannot cover, every 15 minutes ahead of the renew sweep (cards.run_autopay);
compare Stripe's charges with Openbill's payments once a day; expire the checkouts of every
gateway left unfinished longer than the gateway's checkout lifetime (actions.expire_checkouts)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from openbill.clients.models import Client
from openbill.core import idempotency
from openbill.core.money import format_money
from openbill.core.scheduler import register

from . import actions, cards, tasks
from .gateway_accounts import stripe_provider_ids


@task()
def purge_idempotency_keys() -> int:
    return idempotency.purge(timezone.now())


@register("idempotency-purge", every_seconds=3600)
def enqueue_purge(now: datetime) -> object:
    return purge_idempotency_keys.enqueue()


@register("refund-retry", every_seconds=300)
def enqueue_pending_refunds(now: datetime) -> object:
    return [tasks.send_refund_task.enqueue(pk) for pk in actions.pending_refunds(now - timedelta(minutes=5))]


@register("card-autopay", every_seconds=900)
def enqueue_autopay(now: datetime) -> object:
    return tasks.autopay_task.enqueue() if stripe_provider_ids() else None


@register("stripe-reconciliation", every_seconds=24 * 3600)
def enqueue_reconciliation(now: datetime) -> object:
    return tasks.reconcile_charges_task.enqueue() if stripe_provider_ids() else None


def preview(at: datetime) -> list[str]:
    """``openbill preview``: the saved-card charges the automatic payment would make at ``at``."""
    planned = cards.plan_autopay(at)
    emails = dict(Client.objects.filter(pk__in={p.client_id for p in planned}).values_list("pk", "email"))
    return [
        _("Charge %(amount)s to the default card of %(email)s for the renewal of service #%(service)s")
        % {"amount": format_money(p.amount, p.currency), "email": emails[p.client_id], "service": p.service_id}
        for p in planned
    ]


@register("card-checkout-expiry", every_seconds=300)
def enqueue_checkout_expiry(now: datetime) -> object:
    return tasks.expire_checkouts_task.enqueue()
