"""Card payments through Stripe: paying a payment with a card, saved cards, the signed webhook,
automatic payment at renewal and the daily reconciliation.

Exactly once, whoever runs it and however often:

- A payment is charged by at most one PaymentIntent. The payment row is *claimed* (a
  compare-and-set of ``provider_status`` from what the caller saw to ``charging…``) in its own
  committed transaction before Stripe is called, so two clicks, two sweeps or a sweep and a
  retry cannot both call it; the claimant records the PaymentIntent's id (unique per method).
- A charge whose recording was lost (the worker killed between Stripe's answer and the commit)
  is found again among the customer's PaymentIntents by the payment's reference in its metadata
  (``reconcile_stale``); only when Stripe has none is the payment charged again.
- The credit goes through ``actions.apply_event`` under the payment's row lock and the ledger
  key ``payment:<id>``: Stripe's synchronous answer and its webhook, in any order and however
  often, credit once.
- An automatic payment at renewal is a Payment whose request key is
  ``autopay:<service>:<expiry>`` (unique per client): one per renewal, whatever runs it.

No Stripe call is made inside a transaction or under a row lock (reliability.md, invariant 8).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition
from openbill.core.money import format_money, round_amount
from openbill.core.notify import notify
from openbill.core.timeutil import local_date
from openbill.core.urls import absolute_url
from openbill.services.automation import due
from openbill.services.models import Service
from openbill.services.selectors import renewal_amount, with_pricing

from . import actions
from .gateway_accounts import StripeKeys, stripe_accounts, stripe_keys, stripe_provider_ids
from .gateways import GatewayError
from .gateways import stripe_gateway as gw
from .models import GatewayCustomer, Payment, PaymentStatus, SavedCard, UnknownCharge

log = logging.getLogger(__name__)

CHARGING = "charging"
REQUIRES_ACTION = "requires_action"
# A claim older than this whose PaymentIntent was never recorded is looked up at Stripe again.
STALE_AFTER = timedelta(minutes=10)
SYSTEM = Actor.system("automatic card payment")


def _not_configured() -> DomainError:
    return DomainError(_("Card payments are not available."), field="method")


# --- the client's Stripe customer and saved cards -------------------------------------------


def keys(provider_id: int) -> StripeKeys:
    """The Stripe keys of the provider's account (a 400 when Stripe is off for it)."""
    found = stripe_keys(provider_id)
    if found is None:
        raise _not_configured()
    return found


def customer_id(client: Client, *, now: datetime) -> str:
    """The client's Stripe customer, made on first use (only its id is kept)."""
    account = keys(client.provider_id)
    existing = GatewayCustomer.objects.filter(client=client, gateway=gw.CODE).first()
    if existing is not None:
        return existing.customer_id
    try:
        made = gw.create_customer(
            account, email=client.email, name=client.name, client_id=client.pk, idempotency_key=f"customer:{client.pk}"
        )
    except GatewayError as exc:
        raise DomainError(_("The card provider could not be reached; try again later."), detail=str(exc)) from None
    try:
        with transaction.atomic():
            GatewayCustomer.objects.create(client=client, gateway=gw.CODE, customer_id=made, created_at=now)
    except IntegrityError:
        pass  # made at the same moment by another request: keep the first
    return GatewayCustomer.objects.get(client=client, gateway=gw.CODE).customer_id


def start_card_setup(client: Client, *, now: datetime) -> tuple[str, str]:
    """A SetupIntent for the client to add a card in Stripe.js: (id, client secret)."""
    customer = customer_id(client, now=now)
    try:
        return gw.create_setup_intent(keys(client.provider_id), customer, client_id=client.pk)
    except GatewayError as exc:
        raise DomainError(_("The card provider could not be reached; try again later."), detail=str(exc)) from None


def active_cards(client: Client) -> list[SavedCard]:
    return list(SavedCard.objects.filter(client=client, removed_at__isnull=True).order_by("-is_default", "-id"))


def default_card(client: Client) -> SavedCard | None:
    return SavedCard.objects.filter(client=client, removed_at__isnull=True, is_default=True).first()


def save_card(client: Client, setup_intent_id: str, *, make_default: bool, now: datetime) -> SavedCard:
    """Keep the card a SetupIntent of this client set up (the client agreed to later charges).

    Stripe is asked whether the SetupIntent succeeded and for whom: the browser's word is not
    taken. The first card becomes the default."""
    customer = customer_id(client, now=now)
    try:
        card = gw.confirmed_card(keys(client.provider_id), setup_intent_id, customer=customer)
    except GatewayError:
        raise DomainError(_("The card was not added."), field="setup_intent") from None
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)  # one default at a time
        saved, _created = SavedCard.objects.get_or_create(
            gateway=gw.CODE,
            provider_id=card.id,
            defaults={
                "client": client,
                "brand": card.brand[:30],
                "last4": card.last4[:4],
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "consented_at": now,
                "created_at": now,
            },
        )
        if saved.client_id != client.pk:
            raise DomainError(_("The card was not added."), field="setup_intent")
        if make_default or default_card(client) is None:
            _make_default(saved)
    return saved


def _make_default(card: SavedCard) -> None:
    SavedCard.objects.filter(client_id=card.client_id, is_default=True).exclude(pk=card.pk).update(is_default=False)
    SavedCard.objects.filter(pk=card.pk).update(is_default=True)
    card.is_default = True


def set_default_card(card: SavedCard) -> None:
    if card.removed_at is not None:
        raise IllegalTransition(_("This card was removed."))
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=card.client_id)
        _make_default(card)


def remove_card(card: SavedCard, *, now: datetime) -> None:
    """Forget the card here and detach it at Stripe; the next card becomes the default."""
    if card.removed_at is not None:
        return
    try:
        gw.detach_card(keys(card.client.provider_id), card.provider_id)
    except (GatewayError, DomainError) as exc:
        log.warning("card %s: detaching at Stripe failed: %s", card.pk, exc)
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=card.client_id)
        was_default = card.is_default
        SavedCard.objects.filter(pk=card.pk).update(removed_at=now, is_default=False)
        card.removed_at, card.is_default = now, False
        if was_default:
            following = SavedCard.objects.filter(client_id=card.client_id, removed_at__isnull=True).order_by("-id")
            if (nxt := following.first()) is not None:
                _make_default(nxt)


# --- charging a payment ---------------------------------------------------------------------


def _claim(payment: Payment, *, seen: str, claim: str) -> bool:
    """Compare-and-set: only one caller moves the pending payment on from what it saw."""
    return (
        Payment.objects.filter(
            pk=payment.pk, status=PaymentStatus.PENDING, provider_id="", provider_status=seen
        ).update(provider_status=claim)
        == 1
    )


def pay_with_card(
    payment: Payment,
    *,
    now: datetime,
    card: SavedCard | None = None,
    setup_intent_id: str = "",
    save: bool = False,
) -> str:
    """The client pays a pending Stripe payment with a saved card or one just set up.

    Returns ``credited``, ``requires_action`` (the page asks Stripe.js to authenticate),
    ``declined`` or ``in progress``."""
    if payment.method != gw.CODE or payment.status != PaymentStatus.PENDING:
        raise IllegalTransition(_("This payment is not waiting for a card."))
    if payment.provider_id or payment.provider_status:
        raise IllegalTransition(_("This payment is already being made."))
    customer = customer_id(payment.client, now=now)
    if card is not None:
        if card.client_id != payment.client_id or card.removed_at is not None:
            raise DomainError(_("Choose one of your cards."), field="card")
        method = card.provider_id
    else:
        if save:
            card = save_card(payment.client, setup_intent_id, make_default=False, now=now)
            method = card.provider_id
        else:
            try:
                method = gw.confirmed_card(keys(payment.client.provider_id), setup_intent_id, customer=customer).id
            except GatewayError:
                raise DomainError(_("The card was not accepted."), field="setup_intent") from None
    return charge(payment, customer=customer, method=method, off_session=False, now=now, saved=card)


def _claim_of(now: datetime) -> str:
    return f"{CHARGING}:{int(now.timestamp())}"


def _claimed_before(status: str, moment: datetime) -> bool:
    head, _sep, stamp = status.partition(":")
    return head == CHARGING and stamp.isdigit() and int(stamp) < moment.timestamp()


def charge(
    payment: Payment,
    *,
    customer: str,
    method: str,
    off_session: bool,
    now: datetime,
    saved: SavedCard | None = None,
    seen: str = "",
) -> str:
    """Make the payment's one PaymentIntent and record Stripe's answer."""
    if not _claim(payment, seen=seen, claim=_claim_of(now)):
        return "in progress"
    if saved is not None:
        Payment.objects.filter(pk=payment.pk).update(saved_card=saved)
    try:
        account = keys(payment.client.provider_id)
        intent = gw.create_intent(account, payment, customer=customer, method=method, off_session=off_session)
    except gw.CardRefused as exc:
        if exc.intent is not None and exc.intent.get("id"):
            intent = gw.Intent.of(exc.intent)
            if exc.code == "authentication_required":
                # Stripe, off session: the bank wants the client (the intent waits for a payment
                # method again, which the client confirms on the page with the saved card).
                intent = replace(intent, status=REQUIRES_ACTION)
            return record_intent(payment, intent, now=now)
        return _refused(payment, code=exc.code, now=now)
    except GatewayError as exc:
        # Not known whether Stripe made a charge: the claim stays, and reconcile_stale looks for
        # the PaymentIntent by its metadata once the claim is old.
        log.warning("payment %s: Stripe did not answer: %s", payment.pk, exc)
        return "in progress"
    return record_intent(payment, intent, now=now)


def record_intent(payment: Payment, intent: gw.Intent, *, now: datetime, event_id: str = "") -> str:
    """Record what Stripe says of the payment's PaymentIntent (its API answer or a webhook)."""
    if intent.reference != str(payment.reference) or (intent.amount, intent.currency) != (
        payment.amount,
        payment.currency,
    ):
        log.warning("payment %s: PaymentIntent %s is for other money or another payment", payment.pk, intent.id)
        return "amount mismatch"
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.provider_id and locked.provider_id != intent.id:
            log.warning("payment %s is %s, not %s", locked.pk, locked.provider_id, intent.id)
            return "other intent"
        locked.provider_id = intent.id
        if locked.status == PaymentStatus.PENDING:
            locked.provider_status = intent.status if intent.status != "requires_payment_method" else "declined"
        locked.save(update_fields=["provider_id", "provider_status"])
    if intent.status == "succeeded":
        return actions.apply_event(
            locked,
            method=gw.CODE,
            event_id=event_id or f"{intent.id}:succeeded",
            kind="succeeded",
            payload={"payment_intent": intent.id, "status": intent.status},
            now=now,
            actor=Actor.system("stripe gateway"),
        )
    if intent.status in (REQUIRES_ACTION, "requires_confirmation"):
        _ask_to_authenticate(locked, now=now)
        return REQUIRES_ACTION
    if intent.status in ("requires_payment_method", "canceled"):
        return _refused(locked, code=intent.error_code or "card_declined", now=now, event_id=event_id)
    return "pending"


def _refused(payment: Payment, *, code: str, now: datetime, event_id: str = "") -> str:
    """A declined card: the payment fails (a new payment may try another card)."""
    outcome = actions.apply_event(
        payment,
        method=gw.CODE,
        event_id=event_id or f"declined:{payment.pk}",
        kind="failed",
        payload={"code": code[:60]},
        now=now,
        actor=Actor.system("stripe gateway"),
    )
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.FAILED).update(provider_status=code[:60] or "declined")
    if outcome == "failed":
        _renewal_notice(payment, "card_payment_failed", now=now, topup_url=absolute_url(reverse("clientarea:topup")))
    return "declined"


def _service_name(payment: Payment) -> str:
    if payment.service_id is None:
        return ""
    return str(Service.objects.filter(pk=payment.service_id).values_list("name", flat=True).first() or "")


def _renewal_notice(payment: Payment, template: str, *, now: datetime, **context: str) -> None:
    """An email about an automatic payment at renewal (once per payment and template); a
    payment the client makes on the page needs none, the page says it."""
    if payment.service_id is None:
        return
    notify(
        payment.client,
        template,
        key=f"{template}:{payment.pk}",
        now=now,
        context={
            "payment_id": payment.pk,
            "amount": format_money(payment.amount, payment.currency),
            "service_id": payment.service_id,
            "service": _service_name(payment),
            **context,
        },
    )


def _ask_to_authenticate(payment: Payment, *, now: datetime) -> None:
    """An automatic payment the bank wants the client to confirm: a link by email."""
    url = absolute_url(reverse("clientarea:payment_card", args=[payment.pk]))
    _renewal_notice(payment, "card_action_required", now=now, url=url)


def intent_for_page(payment: Payment) -> gw.Intent | None:
    """The payment's PaymentIntent when it waits for the client's authentication."""
    if not payment.provider_id or payment.status != PaymentStatus.PENDING:
        return None
    try:
        return gw.retrieve_intent(keys(payment.client.provider_id), payment.provider_id)
    except (GatewayError, DomainError):
        return None


def refresh(payment: Payment, *, now: datetime) -> str:
    """Ask Stripe about a pending payment's PaymentIntent and record it (after 3-D Secure)."""
    intent = intent_for_page(payment)
    if intent is None:
        return str(payment.status)
    return record_intent(payment, intent, now=now)


# --- the webhook ----------------------------------------------------------------------------


def handle_webhook(body: bytes, signature: str, *, now: datetime) -> str:
    """A Stripe event, applied once. Raises InvalidNotification for an unsigned or forged one.
    It must be signed with the signing secret of the account of the provider whose payment it
    names (each provider's Stripe account has its own endpoint secret).

    An event for an unknown payment, for other money, or for a payment already settled changes
    nothing (the view answers 2xx so that Stripe stops retrying)."""
    accounts = stripe_accounts()
    secrets = sorted({account.webhook_secret for _pk, account in accounts if account.webhook_secret})
    notification, secret = gw.parse_event(body, signature, secrets)
    try:
        reference = uuid.UUID(notification.reference)
    except ValueError:
        return "unknown payment"
    payment = Payment.objects.select_related("client").filter(reference=reference, method=gw.CODE).first()
    if payment is None:
        return "unknown payment"
    account = stripe_keys(payment.client.provider_id)
    if account is None or account.webhook_secret != secret:
        log.warning("payment %s: event %s signed for another Stripe account", payment.pk, notification.event_id)
        return "other account"
    intent_id = str(notification.payload.get("payment_intent", ""))
    if payment.provider_id and payment.provider_id != intent_id:
        log.warning("payment %s: event %s names %s", payment.pk, notification.event_id, intent_id)
        return "other intent"
    intent = gw.Intent(
        id=intent_id,
        status="succeeded" if notification.succeeded else "requires_payment_method",
        amount=notification.amount,
        currency=notification.currency,
        reference=notification.reference,
        client_secret="",
    )
    if not notification.succeeded and payment.status != PaymentStatus.PENDING:
        return "already settled"
    if not notification.succeeded and payment.provider_status == REQUIRES_ACTION:
        # Stripe reports an off-session charge the bank wants confirmed as a failure: the
        # client has been asked to confirm it, so the payment keeps waiting.
        return "waiting for the client"
    return record_intent(payment, intent, now=now, event_id=notification.event_id)


# --- automatic payment at renewal -----------------------------------------------------------


@dataclass(frozen=True)
class PlannedCharge:
    client_id: int
    service_id: int
    key: str
    amount: Decimal
    currency: str
    card_id: int


def _due_services(now: datetime, provider_ids: list[int] | None = None) -> list[Any]:
    lead = timedelta(hours=settings.OPENBILL_AUTOPAY_LEAD_HOURS)
    with_stripe = stripe_provider_ids()
    provider_ids = [pk for pk in provider_ids if pk in with_stripe] if provider_ids is not None else with_stripe
    if not provider_ids:
        return []
    horizons = {pk: moment + lead for pk, moment in due.renew_horizons(now, provider_ids).items()}
    clients_with_cards = SavedCard.objects.filter(removed_at__isnull=True, is_default=True).values("client_id")
    query = Service.objects.filter(due.renew_due(horizons), client_id__in=clients_with_cards)
    return list(with_pricing(query.select_related("client")).order_by("client_id", "expires_at", "pk"))


def plan_autopay(now: datetime, provider_ids: list[int] | None = None) -> list[PlannedCharge]:
    """The card charges the automatic payment would make now (``openbill preview`` shows them).

    For each auto-renewing service due by the renew sweep's horizon plus the lead time, in the
    sweep's order, whose client has a default card and a balance (with credit limit) that cannot
    cover it: the missing amount, or the whole renewal when the provider setting says so. A
    renewal already charged to the card (its key exists) is not charged again, nor one in a
    currency Stripe does not take for the provider (the balance pays it, or the service waits)."""
    whole = settings.OPENBILL_AUTOPAY_AMOUNT == "whole"
    services = _due_services(now, provider_ids)
    keys = {f"autopay:{s.pk}:{s.expires_at.isoformat()}" for s in services}
    done = set(Payment.objects.filter(request_key__in=keys).values_list("request_key", flat=True))
    cards = {c.client_id: c.pk for c in SavedCard.objects.filter(removed_at__isnull=True, is_default=True)}
    planned: list[PlannedCharge] = []
    available: dict[int, Decimal] = {}
    accepted: dict[tuple[int, str], bool] = {}
    for service in services:
        client = service.client
        currency = client.currency
        pair = (client.provider_id, currency)
        if pair not in accepted:
            accepted[pair] = gw.StripeGateway.accepts(client.provider_id, currency)
        left = available.setdefault(client.pk, client.available_amount)
        price = renewal_amount(service)
        if price is None:
            continue
        amount = round_amount(price, currency)
        key = f"autopay:{service.pk}:{service.expires_at.isoformat()}"
        if key in done or left >= amount:
            available[client.pk] = left - amount
            continue
        needed = amount if whole else amount - max(left, Decimal(0))
        if needed > 0 and accepted[pair]:
            planned.append(PlannedCharge(client.pk, service.pk, key, needed, currency, cards[client.pk]))
        available[client.pk] = left + needed - amount
    return planned


def run_autopay(now: datetime, provider_ids: list[int] | None = None) -> dict[str, int]:
    """Charge the planned renewals to the clients' default cards, each once.

    Runs from the worker before the renew sweep's horizon: a success credits the balance at once
    and the renew sweep then renews from it, in this run or the next."""
    outcomes: dict[str, int] = {}
    for item in plan_autopay(now, provider_ids):
        outcome = autopay_one(item, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    outcomes["reconciled"] = reconcile_stale(now)
    return outcomes


def autopay_one(item: PlannedCharge, *, now: datetime) -> str:
    card = SavedCard.objects.select_related("client").get(pk=item.card_id)
    client = card.client
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                client=client,
                method=gw.CODE,
                amount=item.amount,
                currency=item.currency,
                request_key=item.key,
                saved_card=card,
                service_id=item.service_id,
                created_at=now,
                created_by=str(SYSTEM),
            )
    except IntegrityError:
        return "already charged"  # another sweep (or an earlier run) made this renewal's payment
    try:
        customer = customer_id(client, now=now)
    except DomainError:
        return "in progress"
    return charge(payment, customer=customer, method=card.provider_id, off_session=True, now=now)


def reconcile_stale(now: datetime) -> int:
    """Card payments claimed long ago whose PaymentIntent was never recorded: look it up at Stripe
    by the payment's reference and record it; when Stripe made none, charge again (once)."""
    count = 0
    stale = Payment.objects.filter(
        method=gw.CODE,
        status=PaymentStatus.PENDING,
        provider_id="",
        provider_status__startswith=CHARGING,
    ).select_related("client", "saved_card")
    for payment in stale:
        if not _claimed_before(payment.provider_status, now - STALE_AFTER):
            continue  # being charged right now
        customer = GatewayCustomer.objects.filter(client=payment.client, gateway=gw.CODE).first()
        if customer is None:
            continue
        try:
            intent = gw.find_intent(keys(payment.client.provider_id), customer.customer_id, str(payment.reference))
        except (GatewayError, DomainError):
            continue
        if intent is not None:
            record_intent(payment, intent, now=now)
            count += 1
        elif payment.saved_card is not None:
            # Stripe never made it: charge again, claiming over the stale claim (once).
            outcome = charge(
                payment,
                customer=customer.customer_id,
                method=payment.saved_card.provider_id,
                off_session=payment.service_id is not None,
                now=now,
                saved=payment.saved_card,
                seen=payment.provider_status,
            )
            count += outcome != "in progress"
    return count


# --- reconciliation with Stripe's charges ----------------------------------------------------


def reconcile_charges(now: datetime, *, days: int = 2) -> int:
    """Compare each Stripe account's recent successful charges with Openbill's payments: a charge
    no payment accounts for becomes a staff alert (UnknownCharge, once per charge). Returns how
    many."""
    since = int((now - timedelta(days=days)).timestamp())
    charges: list[dict[str, Any]] = []
    for _provider_id, account in stripe_accounts():
        try:
            charges += gw.recent_charges(account, since)
        except GatewayError as exc:
            log.warning("Stripe reconciliation could not list charges: %s", exc)
    known = set(
        Payment.objects.filter(method=gw.CODE, provider_id__in=[c["payment_intent"] for c in charges]).values_list(
            "provider_id", flat=True
        )
    )
    found = 0
    for charge_row in charges:
        if charge_row["payment_intent"] in known:
            continue
        _alert, created = UnknownCharge.objects.get_or_create(
            gateway=gw.CODE,
            charge_id=charge_row["id"],
            defaults={
                "intent_id": charge_row["payment_intent"],
                "amount": charge_row["amount"],
                "currency": charge_row["currency"],
                "found_at": now,
            },
        )
        if created:
            log.error("Stripe charge %s is not an Openbill payment", charge_row["id"])
            found += 1
    return found


def autopay_card(client: Client, service_id: int, expires_at: datetime) -> tuple[str, date] | None:
    """The default card the automatic payment will charge for this renewal (its last four digits
    and the provider's local date of the charge), for the low-balance notice to say so instead
    of asking for a top-up. None when Stripe is off for the provider, the client has no default
    card, the card expires before the charge, or the charge for this renewal was already made
    and did not complete (declined, waiting for the bank), or Stripe does not take the client's
    currency (any more): then the usual notice applies."""
    if not offered(client):
        return None
    card = default_card(client)
    if card is None:
        return None
    charge_on = local_date(expires_at - timedelta(hours=settings.OPENBILL_AUTOPAY_LEAD_HOURS), client.provider.tz)
    if card.exp_year and card.exp_month and (card.exp_year, card.exp_month) < (charge_on.year, charge_on.month):
        return None
    key = f"autopay:{service_id}:{expires_at.isoformat()}"
    if Payment.objects.filter(client=client, request_key=key).exclude(status=PaymentStatus.COMPLETED).exists():
        return None
    return card.last4, charge_on


# --- what the client area's card pages need ---------------------------------------------------


def offered(client: Client) -> bool:
    """Whether the client's provider takes cards through Stripe in the client's currency (the
    card pages exist)."""
    return gw.enabled(client.provider_id) and gw.StripeGateway.accepts(client.provider_id, client.currency)


def publishable_key(client: Client) -> str:
    found = stripe_keys(client.provider_id)
    return found.publishable_key if found is not None else ""


def pay_from_page(payment: Payment, *, card_id: str, setup_intent_id: str, save: bool, now: datetime) -> str:
    """The client pays on the card page: with the saved card ``card_id`` (one of theirs), or the
    card a SetupIntent just set up. Returns what ``pay_with_card`` returns."""
    card = None
    if card_id:
        mine = SavedCard.objects.filter(client_id=payment.client_id, removed_at__isnull=True)
        card = mine.filter(pk=int(card_id)).first() if card_id.isdigit() else None
        if card is None:
            raise DomainError(_("Choose one of your cards."), field="card")
    return pay_with_card(payment, now=now, card=card, setup_intent_id=setup_intent_id[:200], save=save)


@dataclass(frozen=True)
class CardPage:
    """What the card page shows: a saved card or a new one to pay with, or the 3-D Secure step."""

    saved_cards: list[SavedCard]
    setup_secret: str = ""
    intent_secret: str = ""
    intent_method: str = ""
    error: str = ""


def card_page(payment: Payment, *, now: datetime) -> CardPage:
    payment.refresh_from_db()
    if payment.status != PaymentStatus.PENDING:
        return CardPage(saved_cards=[])
    if payment.provider_id:
        intent = intent_for_page(payment)
        waiting = (REQUIRES_ACTION, "requires_payment_method")
        if intent is not None and payment.provider_status == REQUIRES_ACTION and intent.status in waiting:
            # Off session at Stripe the intent waits for the card again: confirm with it.
            method = payment.saved_card.provider_id if payment.saved_card else ""
            return CardPage(saved_cards=[], intent_secret=intent.client_secret, intent_method=method)
        return CardPage(saved_cards=[])
    if payment.provider_status:
        return CardPage(saved_cards=[])
    try:
        _setup_id, secret = start_card_setup(payment.client, now=now)
    except DomainError as exc:
        return CardPage(saved_cards=active_cards(payment.client), error=exc.message)
    return CardPage(saved_cards=active_cards(payment.client), setup_secret=secret)
