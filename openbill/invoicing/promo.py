"""Promo codes: which code applies to what, and how much it takes off.

The discount is taken from each part of a line (setup fee, period) before tax, and never
below zero: a percentage of each part; a fixed amount from the period first, then the setup
fee. The tax is then computed on what remains (tax after discount), rounded once per part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from openbill.billing.models import Expense, ExpenseKind
from openbill.core.errors import DomainError, IllegalTransition
from openbill.core.money import round_amount

from .models import DiscountKind, DiscountScope, PromoCode, PromoUse

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Discount:
    code: str
    amounts: tuple[Decimal, ...]  # taken off each part, in the parts' order

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, Decimal(0))


def take_off(promo: PromoCode, parts: list[Decimal], currency: str) -> Discount:
    """What the code takes off each part (already rounded prices); never more than a part."""
    if promo.kind == DiscountKind.PERCENT:
        return Discount(promo.code, tuple(round_amount(p * promo.value / HUNDRED, currency) for p in parts))
    left = round_amount(promo.value, currency)
    amounts = [Decimal(0)] * len(parts)
    for index in sorted(range(len(parts)), reverse=True):  # the period (last) first, then the setup fee
        amounts[index] = min(left, parts[index])
        left -= amounts[index]
    return Discount(promo.code, tuple(amounts))


def find(client: Any, code: str, *, tariff: Any, period: str, now: datetime) -> PromoCode:
    """The code, if it applies to this client, tariff and period now; else a 400 on ``promo_code``."""
    promo = PromoCode.objects.filter(provider_id=client.provider_id, code=code.strip().upper()).first()
    refused = DomainError(_("This promo code does not apply."), field="promo_code")
    if promo is None:
        raise DomainError(_("There is no such promo code."), field="promo_code")
    if (promo.valid_from and now < promo.valid_from) or (promo.valid_until and now >= promo.valid_until):
        raise DomainError(_("This promo code is not valid now."), field="promo_code")
    if promo.kind == DiscountKind.AMOUNT and client.currency != client.provider.currency:
        raise refused
    if promo.periods and period not in promo.periods:
        raise refused
    tariffs = {t.pk for t in promo.tariffs.all()}
    types = {t.pk for t in promo.product_types.all()}
    if tariffs and tariff.pk not in tariffs:
        raise refused
    if types and tariff.product_type_id not in types:
        raise refused
    check_uses(promo, client)
    return promo


def check_uses(promo: PromoCode, client: Any) -> None:
    if promo.new_clients_only and _has_paid_before(client):
        raise DomainError(_("This promo code is for new clients only."), field="promo_code")
    if promo.max_uses is not None and promo.uses.count() >= promo.max_uses:
        raise DomainError(_("This promo code has been used up."), field="promo_code")
    if promo.max_uses_per_client is not None and promo.uses.filter(client=client).count() >= promo.max_uses_per_client:
        raise DomainError(_("You have already used this promo code."), field="promo_code")


def _has_paid_before(client: Any) -> bool:
    return Expense.objects.filter(client=client).exists()


def record_use(promo: PromoCode, client: Any, service: Any, *, now: datetime) -> PromoUse:
    """Count one use, in the transaction that creates the service: under the code's row lock
    the limits are checked again, so two carts taking the last use at once get it once."""
    assert transaction.get_connection().in_atomic_block
    locked = PromoCode.objects.select_for_update().get(pk=promo.pk)
    check_uses(locked, client)
    return PromoUse.objects.create(promo=locked, client=client, service=service, used_at=now)


def renewal_discount(service: Any, amount: Decimal, *, now: datetime) -> Decimal:
    """What a renewal's code takes off its period price (0 when none applies). The renewals
    already discounted are counted from the service's renewal charges, so a retried renewal
    counts once."""
    use = PromoUse.objects.filter(service=service).select_related("promo").first()
    if use is None or use.promo.scope == DiscountScope.FIRST:
        return Decimal(0)
    return recurring_off(use.promo, renewals_done(service), amount, service.client.currency)


def renewals_done(service: Any) -> int:
    """How many renewals the service has paid (its period charges but the first)."""
    return Expense.objects.filter(service=service, kind=ExpenseKind.PERIOD).exclude(key="first").count()


def recurring_off(promo: PromoCode, done: int, amount: Decimal, currency: str) -> Decimal:
    """The rule of a renewal's discount: none for a first-period code or once its N renewals
    are used (``done``: renewals already paid), else the code taken off the rounded price."""
    if promo.scope == DiscountScope.FIRST:
        return Decimal(0)
    if promo.scope == DiscountScope.RENEWALS and done >= promo.renewals:
        return Decimal(0)
    return take_off(promo, [round_amount(amount, currency)], currency).amounts[0]


# --- staff: creating, ending and removing codes ----------------------------------------------------


def create_code(data: dict[str, Any], *, now: datetime) -> PromoCode:
    """A new code from staff's fields (already typed by the API); a 400 naming the field when a
    rule refuses it: a second code of the same text for the provider, a percentage above 100,
    an end before the start, a tariff or product type of another provider, a number of
    renewals that does not fit the scope."""
    provider = data["provider"]
    code = str(data["code"]).strip().upper()
    if not code:
        raise DomainError(_("Enter the code."), field="code")
    if PromoCode.objects.filter(provider=provider, code=code).exists():
        raise DomainError(_("This provider already has the code %(code)s.") % {"code": code}, field="code")
    if data["kind"] == DiscountKind.PERCENT and data["value"] > HUNDRED:
        raise DomainError(_("A percentage is at most 100."), field="value")
    if data["value"] <= 0:
        raise DomainError(_("The discount must be more than zero."), field="value")
    valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
    if valid_from and valid_until and valid_until <= valid_from:
        raise DomainError(_("The end must be after the start."), field="valid_until")
    scope, renewals = data.get("scope", DiscountScope.FIRST), data.get("renewals", 0)
    if (scope == DiscountScope.RENEWALS) != (renewals > 0):
        raise DomainError(_("Give a number of renewals with, and only with, that scope."), field="renewals")
    for field in ("tariffs", "product_types"):
        for item in data.get(field, []):
            owner = item.product_type.provider_id if field == "tariffs" else item.provider_id
            if owner != provider.pk:
                raise DomainError(_("%(name)s belongs to another provider.") % {"name": item}, field=field)
    with transaction.atomic():
        promo = PromoCode.objects.create(
            provider=provider,
            code=code,
            kind=data["kind"],
            value=data["value"],
            periods=sorted(set(data.get("periods", []))),
            scope=scope,
            renewals=renewals,
            valid_from=valid_from,
            valid_until=valid_until,
            max_uses=data.get("max_uses"),
            max_uses_per_client=data.get("max_uses_per_client"),
            new_clients_only=data.get("new_clients_only", False),
        )
        promo.tariffs.set(data.get("tariffs", []))
        promo.product_types.set(data.get("product_types", []))
    return promo


def is_active(promo: PromoCode, now: datetime) -> bool:
    """Whether a client may enter the code now (its uses aside)."""
    return not (promo.valid_from and now < promo.valid_from) and not (promo.valid_until and now >= promo.valid_until)


def deactivate_code(promo: PromoCode, *, now: datetime) -> PromoCode:
    """End the code now: no new order takes it; a discount already promised to a service (its
    renewals) stays. A 409 when it has ended already."""
    with transaction.atomic():
        locked = PromoCode.objects.select_for_update().get(pk=promo.pk)
        if locked.valid_until is not None and locked.valid_until <= now:
            raise IllegalTransition(_("This promo code has ended already."))
        locked.valid_until = now
        if locked.valid_from is not None and locked.valid_from > now:
            locked.valid_from = now  # a code that never started ends before it starts
        locked.save(update_fields=["valid_until", "valid_from"])
    return locked


def delete_code(promo: PromoCode) -> None:
    """Remove a code no one has used (a mistake); a used code is ended instead (409): its uses
    are what invoices and renewals refer to."""
    with transaction.atomic():
        locked = PromoCode.objects.select_for_update().get(pk=promo.pk)
        if locked.uses.exists():
            raise IllegalTransition(_("This promo code has been used: end it instead of deleting it."))
        locked.tariffs.clear()
        locked.product_types.clear()
        locked.delete()
