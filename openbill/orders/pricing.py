"""What an order or a change costs, computed on the server from the catalog.

The client sends a tariff, a period, add-on values and parameters — never a price. Every
validation error names the field it is about (``period``, ``addons.ram``, ``parameters.domain``)
and is raised before anything is written.

Proration of a change (DESIGN.md §4; reference §2.7) is against the term the client actually
paid for ``[now, expiry)``, never against the period of the next renewal (which the client may
switch at no cost between two changes)::

    terms      = the period charges that cover [now, expiry): each with the billing period it
                 paid (a month, a year…) and the part of its length still to come (its share)
    value(c)   = Σ over the terms: configuration c's catalog price for the term's period × share
    add-ons    = value(new) − value(old), each rounded once; each part (the base tariff, each
                 add-on) is credited at most what is still paid for it beyond its value(new)
    tariff     = − what is still paid for each part (credit)  + value(new tariff) (charge)
    tax        = each line taxed once at the client's rate (invoicing.tax.split); no credit,
                 tax included, gives back more than was paid for the time left

"What is still paid for a part" is billing.selectors.paid_parts: every charge keeps what it
paid per part before tax (Expense.components: the first period, renewals, changes' charges and
credits), each × the share of its stretch still to come.

"What was paid for the time left" is billing.selectors.unused_amount: the period charges and
the charges and credits of earlier changes, prorated. Credits never exceed it, so no sequence
of changes at one moment returns more than was paid, and because each add-on change is the
difference of two rounded values, changing back and forth at one moment nets to zero. Time
after the expiry that no period charge covers (a service whose expiry staff moved) is valued
at the period of the service's latest period charge.

``share`` counts seconds exactly (a Fraction) and may exceed 1 when several periods are
prepaid; each ledger line is rounded once, half up, to the currency's precision. A term's length
is measured on the provider's calendar (31 March − 1 month = 29 February in a leap year).
Daily-priced services change without recalculation (reference §2.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from openbill.billing.rules import TARIFF_PART, spread
from openbill.billing.selectors import paid_parts, period_spans, unused_amount
from openbill.catalog.display import addon_value
from openbill.catalog.models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    BillingType,
    PeriodPrice,
    ProductParameter,
    TariffPlan,
    ValueType,
)
from openbill.catalog.pricing import addon_amount, period_price, tariff_period_amount, tariff_period_parts
from openbill.core.errors import DomainError
from openbill.core.money import currency_places, round_amount
from openbill.core.texts import Text
from openbill.core.timeutil import Period, add_period
from openbill.invoicing.promo import Discount, take_off
from openbill.invoicing.promo import find as find_promo
from openbill.invoicing.selectors import Breakdown, breakdown, treatment
from openbill.invoicing.tax import LineTax, Treatment, split
from openbill.services.models import Service

# Add-ons the client chooses when ordering; the others are fixed (included) or metered.
CLIENT_BILLING_TYPES = (BillingType.ORDER, BillingType.LIST)


def tariffs_for(provider: Any) -> Any:
    """Orderable tariffs of a provider with everything pricing needs, in a fixed number of queries."""
    return (
        TariffPlan.objects.filter(product_type__provider=provider)
        .select_related("product_type")
        .prefetch_related(
            Prefetch("prices", queryset=PeriodPrice.objects.order_by("id")),
            Prefetch(
                "addons",
                queryset=Addon.objects.prefetch_related(
                    Prefetch("prices", queryset=AddonPrice.objects.all()),
                    Prefetch("items", queryset=AddonEnumItem.objects.order_by("position", "id")),
                ),
            ),
            Prefetch("product_type__parameters", queryset=ProductParameter.objects.order_by("position", "id")),
        )
    )


def load_tariff(client: Any, tariff_id: Any, *, orderable: bool = True) -> TariffPlan:
    """The tariff, if the client's provider sells it; otherwise a 400 naming ``tariff``."""
    try:
        pk = int(tariff_id)
    except (TypeError, ValueError):
        raise DomainError(_("Choose a tariff."), field="tariff") from None
    queryset = tariffs_for(client.provider)
    if orderable:
        queryset = queryset.filter(orderable=True)
    tariff = queryset.filter(pk=pk).first()
    if tariff is None:
        raise DomainError(_("This tariff cannot be ordered."), field="tariff")
    return tariff


@dataclass(frozen=True)
class AddonChoice:
    addon: Addon
    quantity: Decimal
    enum_item: AddonEnumItem | None = None

    @property
    def display(self) -> str:
        return addon_value(self.addon, self.quantity, self.enum_item)


def check_period(tariff: TariffPlan, period: Any) -> str:
    if not isinstance(period, str) or period not in Period.values or period_price(tariff, period) is None:
        raise DomainError(_("This tariff does not sell that period."), field="period")
    return period


def default_choice(addon: Addon) -> AddonChoice:
    if addon.value_type == ValueType.ENUM:
        enabled = [item for item in addon.items.all() if item.enabled]
        return AddonChoice(addon, Decimal(1), enabled[0] if enabled else None)
    if addon.billing_type in CLIENT_BILLING_TYPES:
        return AddonChoice(
            addon, max(addon.minimum, addon.included) if addon.value_type != ValueType.BOOLEAN else Decimal(0)
        )
    return AddonChoice(addon, addon.included)


def _is_kept(raw: Any, kept: AddonChoice) -> bool:
    """Whether the client's value is the one the service already has."""
    if kept.enum_item is not None:
        return str(raw) == kept.enum_item.code
    try:
        return Decimal(str(int(raw) if isinstance(raw, bool) else raw).strip()) == kept.quantity
    except InvalidOperation:
        return False


def check_addons(
    tariff: TariffPlan, values: Mapping[str, Any] | None, keep: Mapping[int, AddonChoice] | None = None
) -> list[AddonChoice]:
    """One choice per add-on of the tariff: the client's value where given, else the default.

    ``values`` maps an add-on's resource code to a quantity or, for an enumeration, an item
    code. Unknown resources, values outside min/max/step and disabled items are 400s.
    ``keep`` (a service's present values, by add-on id) is what an add-on keeps when the client
    gives no value or the same one — even a value the catalog no longer offers (a retired OS)
    or the client cannot choose (a traffic allowance set by staff)."""
    values = dict(values or {})
    keep = keep or {}
    addons = list(tariff.addons.all())
    known = {a.resource for a in addons}
    for resource in values:
        if resource not in known:
            raise DomainError(_("This tariff has no such add-on."), field=f"addons.{resource}")
    choices = []
    for addon in addons:
        field_name = f"addons.{addon.resource}"
        kept = keep.get(addon.pk)
        if addon.resource not in values or values[addon.resource] in (None, ""):
            choices.append(kept or default_choice(addon))
            continue
        raw = values[addon.resource]
        if kept is not None and _is_kept(raw, kept):
            choices.append(kept)
            continue
        if addon.billing_type not in CLIENT_BILLING_TYPES:
            raise DomainError(_("This add-on cannot be chosen."), field=field_name)
        if addon.value_type == ValueType.ENUM:
            item = next((i for i in addon.items.all() if i.code == str(raw)), None)
            if item is None or not item.enabled:
                raise DomainError(_("Choose one of the offered values."), field=field_name)
            choices.append(AddonChoice(addon, Decimal(1), item))
            continue
        if isinstance(raw, bool):
            raw = int(raw)
        try:
            quantity = Decimal(str(raw).strip())
        except InvalidOperation:
            raise DomainError(_("Enter a number."), field=field_name) from None
        if not quantity.is_finite():
            raise DomainError(_("Enter a number."), field=field_name)
        try:
            addon.validate_quantity(quantity)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field=field_name) from None
        choices.append(AddonChoice(addon, quantity))
    return choices


def check_parameters(tariff: TariffPlan, values: Mapping[str, Any] | None, *, quick: bool) -> dict[str, str]:
    """The product type's parameters, normalized (domains to punycode). A quick order may leave
    required ones empty: the service then waits as "Configuration required" once paid."""
    values = dict(values or {})
    parameters = list(tariff.product_type.parameters.all())
    known = {p.code for p in parameters}
    for code in values:
        if code not in known:
            raise DomainError(_("This product has no such parameter."), field=f"parameters.{code}")
    cleaned: dict[str, str] = {}
    for parameter in parameters:
        raw = values.get(parameter.code)
        if quick and (raw is None or not str(raw).strip()):
            continue
        try:
            value = parameter.clean_value(raw)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field=f"parameters.{parameter.code}") from None
        if value:
            cleaned[parameter.code] = value
    return cleaned


def period_amount(tariff: TariffPlan, period: str, choices: list[AddonChoice]) -> Decimal:
    amount = tariff_period_amount(tariff, period, [(c.addon, c.quantity, c.enum_item) for c in choices])
    if amount is None:
        raise DomainError(_("This tariff does not sell that period."), field="period")
    return amount


@dataclass(frozen=True)
class NewQuote:
    """The exact price of a new service, shown before the client decides."""

    tariff: TariffPlan
    period: str
    choices: list[AddonChoice]
    parameters: dict[str, str]
    currency: str
    base_amount: Decimal
    addons_amount: Decimal
    setup_amount: Decimal
    period_amount: Decimal
    total: Decimal
    addon_lines: list[tuple[AddonChoice, Decimal]] = field(default_factory=list)
    # The setup fee and the period, each taxed as its own line (invoicing); ``total`` is their
    # gross sum: what is charged and invoiced.
    tax: Breakdown | None = None
    # A promo code's discount of each part (before tax), and the code.
    discount: Discount | None = None
    promo: Any = None
    # The first period's amount before tax by part of the service (billing.rules.spread).
    components: dict[str, str] = field(default_factory=dict)

    @property
    def setup_gross(self) -> Decimal:
        return self.tax.parts[0].gross if self.tax else self.setup_amount

    @property
    def period_gross(self) -> Decimal:
        return self.tax.parts[1].gross if self.tax else self.period_amount


def quote_new(
    client: Any,
    *,
    tariff: Any,
    period: Any,
    addons: Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    quick: bool = False,
    validate_parameters: bool = True,
    promo_code: str = "",
) -> NewQuote:
    plan = tariff if isinstance(tariff, TariffPlan) else load_tariff(client, tariff)
    chosen_period = check_period(plan, period)
    if quick and not plan.quick_order:
        raise DomainError(_("This tariff cannot be ordered without its parameters."), field="quick")
    choices = check_addons(plan, addons)
    cleaned = check_parameters(plan, parameters, quick=quick) if validate_parameters else {}
    price = period_price(plan, chosen_period)
    assert price is not None
    currency = client.currency
    addon_lines = [(c, addon_amount(c.addon, c.quantity, c.enum_item, chosen_period)) for c in choices]
    addons_total = sum((amount for _c, amount in addon_lines), Decimal(0))
    # Rounded as each will be written to the ledger: the setup fee and the period, once each.
    setup = round_amount(price.setup_fee, currency)
    period_total = round_amount(price.price + addons_total, currency)
    now = timezone.now()
    promo, discount = None, None
    if promo_code.strip():
        promo = find_promo(client, promo_code, tariff=plan, period=chosen_period, now=now)
        discount = take_off(promo, [setup, period_total], currency)
    # Tax after the discount, each part rounded once (invoicing.tax).
    parts = (
        [setup, period_total]
        if discount is None
        else [a - d for a, d in zip([setup, period_total], discount.amounts, strict=True)]
    )
    taxed = breakdown(client, parts, now=now)
    # What the first period pays for each part of the service (Expense.components).
    catalog_parts = tariff_period_parts(plan, chosen_period, [(c.addon, c.quantity, c.enum_item) for c in choices])
    return NewQuote(
        tariff=plan,
        period=chosen_period,
        choices=choices,
        parameters=cleaned,
        currency=currency,
        base_amount=price.price,
        addons_amount=addons_total,
        setup_amount=setup,
        period_amount=period_total,
        total=taxed.total,
        addon_lines=addon_lines,
        tax=taxed,
        discount=discount,
        promo=promo,
        components=spread(catalog_parts or {}, parts[1], currency),
    )


# --- changes --------------------------------------------------------------------------------


# Nominal lengths in days, to name the period of a term whose dates match none exactly.
NOMINAL_DAYS: dict[str, float] = {
    Period.DAY: 1.0,
    Period.MONTH: 30.44,
    Period.MONTH_3: 91.31,
    Period.MONTH_6: 182.62,
    Period.YEAR: 365.25,
    Period.YEAR_2: 730.5,
    Period.YEAR_3: 1095.75,
}


@dataclass(frozen=True)
class Term:
    """A stretch of ``[now, expiry)`` and the billing period whose prices paid for it; ``share``
    is the stretch's length over the length of the whole term (may exceed 1 for uncovered time)."""

    period: str
    share: Fraction


def term_period(start: datetime, end: datetime, tz: Any) -> str:
    """The billing period a charge for ``[start, end)`` paid: the one whose calendar length
    it has (either way round: 31 March − 1 month = 29 February), else the nearest."""
    for period in Period.values:
        if add_period(start, period, tz) == end or add_period(end, period, tz, count=-1) == start:
            return period
    days = (end - start).total_seconds() / 86400
    return min(Period.values, key=lambda period: abs(NOMINAL_DAYS[period] - days))


def paid_terms(service: Service, now: datetime) -> list[Term]:
    """The terms that ``[now, expiry)`` was paid in (see the module's docstring)."""
    expiry = service.expires_at
    if expiry is None or expiry <= now or service.period == Period.DAY:
        return []
    tz = service.client.provider.tz
    charges = period_spans(service)
    terms: list[Term] = []
    covered_until = now
    for start, end in charges:
        if end <= start or end <= covered_until:
            continue
        stretch_start, stretch_end = max(start, covered_until), min(end, expiry)
        if stretch_end <= stretch_start:
            continue
        length = int((end - start).total_seconds())
        seconds = int((stretch_end - stretch_start).total_seconds())
        terms.append(Term(term_period(start, end, tz), Fraction(seconds, length)))
        covered_until = stretch_end
    if covered_until < expiry:
        # Time no period charge covers: valued at the period the service was last paid in.
        period = term_period(*charges[-1], tz) if charges else service.period
        if period == Period.DAY:
            period = service.period
        one_period_before = add_period(expiry, period, tz, count=-1)
        length = int((expiry - one_period_before).total_seconds())
        seconds = int((expiry - covered_until).total_seconds())
        terms.append(Term(period, Fraction(seconds, length)))
    return terms


def remaining_share(service: Service, now: datetime) -> Fraction:
    """The time left as a number of paid terms (may exceed 1 when several are prepaid)."""
    return sum((term.share for term in paid_terms(service, now)), Fraction(0))


def configuration_value(
    tariff: TariffPlan, lines: list[tuple[Addon, Decimal, AddonEnumItem | None]], terms: list[Term]
) -> Fraction | None:
    """What the configuration costs over the terms at the catalog's price of each term's
    period, exact; None when the tariff does not sell one of those periods."""
    parts = configuration_parts(tariff, lines, terms)
    return None if parts is None else sum(parts.values(), Fraction(0))


def configuration_parts(
    tariff: TariffPlan, lines: list[tuple[Addon, Decimal, AddonEnumItem | None]], terms: list[Term]
) -> dict[str, Fraction] | None:
    """``configuration_value`` by part of the service (the base tariff, each add-on), exact."""
    total: dict[str, Fraction] = {}
    for term in terms:
        parts = tariff_period_parts(tariff, term.period, lines)
        if parts is None:
            return None
        for part, amount in parts.items():
            total[part] = total.get(part, Fraction(0)) + Fraction(amount) * term.share
    return total


@dataclass(frozen=True)
class ChargeLine:
    """One ledger line of a change: positive charges, negative credits (already rounded).

    ``amount`` is what the ledger moves (tax included); ``net`` and ``tax`` its parts (one line,
    taxed once: invoicing.tax.split); ``components`` what it pays (or gives back) for each part
    of the service before tax (Expense.components)."""

    suffix: str
    amount: Decimal
    description: Text
    net: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    components: dict[str, str] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class ChangeQuote:
    service: Service
    tariff: TariffPlan
    choices: list[AddonChoice]
    share: Fraction
    old_amount: Decimal
    new_amount: Decimal
    lines: list[ChargeLine]
    changed: bool
    # The lines' net, tax and total as shown and as charged (invoicing); None when no lines.
    tax: Breakdown | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def current_choices(service: Service, tariff: TariffPlan) -> dict[str, Any]:
    """The service's add-on values keyed by resource, as ``check_addons`` takes them."""
    values: dict[str, Any] = {}
    for line in service.addons.all():
        if line.addon.billing_type not in CLIENT_BILLING_TYPES:
            continue
        if line.enum_item is not None:
            values[line.addon.resource] = line.enum_item.code
        else:
            values[line.addon.resource] = line.quantity
    known = {a.resource: a for a in tariff.addons.all()}
    return {k: v for k, v in values.items() if k in known and known[k].billing_type in CLIENT_BILLING_TYPES}


def proration(amount: Decimal, share: Fraction, currency: str) -> Decimal:
    """``amount × share``, exact, rounded once."""
    return round_amount(Fraction(amount) * share, currency)


def _taxed_line(
    suffix: str,
    parts: dict[str, Decimal],
    description: Text,
    how: Treatment,
    currency: str,
    floor: Decimal | None = None,
) -> ChargeLine | None:
    """One line from what it pays for each part (before tax, rounded), taxed once. A credit
    whose amount with tax would go below ``floor`` (what may still be given back, tax included)
    gives back less: its credited parts shrink (in proportion) until it does not."""
    priced = sum(parts.values(), Decimal(0))
    taxed = split(priced, how, currency)
    if floor is not None and taxed.gross < floor:
        cent = Decimal(1).scaleb(-currency_places(currency))
        wanted = floor if how.prices_include_tax else round_amount(floor * 100 / (100 + how.rate), currency)
        while split(wanted, how, currency).gross < floor:
            wanted += cent
        wanted = min(wanted, Decimal(0))
        charged = {k: v for k, v in parts.items() if v > 0}
        credited = {k: v for k, v in parts.items() if v < 0}
        rest = wanted - sum(charged.values(), Decimal(0))
        parts = {**charged, **{k: Decimal(v) for k, v in spread(credited, rest, currency).items()}}
        priced = sum(parts.values(), Decimal(0))
        taxed = split(priced, how, currency)
    if not taxed.gross:
        return None
    return ChargeLine(
        suffix,
        taxed.gross,
        description,
        net=taxed.net,
        tax=taxed.tax,
        components={k: str(v) for k, v in sorted(parts.items()) if v},
    )


def fitted(
    parts: dict[str, Fraction], total: Decimal, currency: str, capped: frozenset[str] = frozenset()
) -> dict[str, Decimal]:
    """Each part rounded once; the rounding difference from ``total`` (the line's amount,
    rounded once as a whole) goes to the largest part no cap holds — never to a capped one when
    it would give more back (then the line gives that cent less)."""
    out = {part: round_amount(amount, currency) for part, amount in parts.items()}
    rest = total - sum(out.values(), Decimal(0))
    free = [part for part in sorted(out) if part not in capped]
    if rest and not out:
        out[TARIFF_PART] = rest
    elif rest and (free or rest > 0):
        out[max(free or sorted(out), key=lambda part: abs(parts[part]))] += rest
    return {part: amount for part, amount in out.items() if amount}


def still_paid(service: Service, now: datetime, old_parts: dict[str, Fraction]) -> dict[str, Fraction]:
    """What is still paid, before tax, for each part of the service for ``[now, expiry)``, net
    of earlier credits (billing.selectors.paid_parts), exact. Charges written before parts were
    kept count as paid for the present configuration's parts in proportion."""
    paid = paid_parts(service, now=now)
    parts = dict(paid.parts)
    if paid.unattributed:
        whole = sum(old_parts.values(), Fraction(0))
        if whole:
            for part, value in old_parts.items():
                parts[part] = parts.get(part, Fraction(0)) + paid.unattributed * value / whole
        else:
            parts[TARIFF_PART] = parts.get(TARIFF_PART, Fraction(0)) + paid.unattributed
    return parts


def quote_change(
    service: Service,
    *,
    now: datetime,
    tariff: Any = None,
    addons: Mapping[str, Any] | None = None,
) -> ChangeQuote:
    """The exact amounts of changing add-ons and/or the tariff of ``service`` at ``now``.

    Each part of the service (the base tariff, each add-on) is valued over the paid terms; an
    add-on change charges or credits each part's difference, and a part is never credited more
    than is still paid for it beyond the value of what the client keeps of it (``still_paid``).
    A change of tariff credits what is still paid for every part and charges the new tariff's
    value. Each line is taxed once (invoicing). ``service`` must carry its add-ons
    (``services.selectors.with_pricing``)."""
    client = service.client
    currency = client.currency
    old_tariff = tariffs_for(client.provider).get(pk=service.tariff_id)
    if tariff in (None, "", service.tariff_id, str(service.tariff_id)):
        new_tariff = old_tariff
    else:
        new_tariff = load_tariff(client, tariff, orderable=False)
        if not old_tariff.changeable_to.filter(pk=new_tariff.pk).exists():
            raise DomainError(_("The tariff cannot be changed to this one."), field="tariff")
    if period_price(new_tariff, service.period) is None:
        raise DomainError(_("The new tariff does not sell the service's period."), field="tariff")
    wanted = current_choices(service, new_tariff)
    wanted.update(dict(addons or {}))
    # While the tariff stays, an add-on keeps the service's value unless the client gives
    # another: a change of RAM must not reset the traffic allowance or a retired OS.
    kept = {line.addon_id: AddonChoice(line.addon, line.quantity, line.enum_item) for line in service.addons.all()}
    new_choices = check_addons(new_tariff, wanted, keep=kept)
    old_lines = [(line.addon, line.quantity, line.enum_item) for line in service.addons.all()]
    new_lines = [(c.addon, c.quantity, c.enum_item) for c in new_choices]
    old_amount = tariff_period_amount(old_tariff, service.period, old_lines) or Decimal(0)
    new_amount = period_amount(new_tariff, service.period, new_choices)
    terms = paid_terms(service, now)
    share = sum((term.share for term in terms), Fraction(0))
    exact_old = configuration_parts(old_tariff, old_lines, terms) or {}
    exact_new = configuration_parts(new_tariff, new_lines, terms)
    if exact_new is None:
        raise DomainError(_("The new tariff does not sell the period the service is paid for."), field="tariff")
    old_value = round_amount(sum(exact_old.values(), Fraction(0)), currency)
    new_value = round_amount(sum(exact_new.values(), Fraction(0)), currency)
    old_values = {line.addon_id: (line.quantity, line.enum_item_id) for line in service.addons.all()}
    changed = new_tariff.pk != old_tariff.pk or any(
        old_values.get(c.addon.pk) != (c.quantity, c.enum_item.pk if c.enum_item else None) for c in new_choices
    )
    lines: list[ChargeLine] = []
    how = treatment(client, on=now)
    if changed and share > 0:
        paid = still_paid(service, now, exact_old)
        # What the client paid for the time left, tax included (period charges and earlier
        # changes, prorated): no credit gives back more than that, whatever the rounding.
        unused = round_amount(unused_amount(service, now=now), currency)
        if new_tariff.pk != old_tariff.pk:
            given_back = {part: -amount for part, amount in paid.items() if amount > 0}
            credit = _taxed_line(
                "credit",
                fitted(given_back, round_amount(sum(given_back.values(), Fraction(0)), currency), currency),
                Text("tariff_unused", name=service.name, tariff=old_tariff.name),
                how,
                currency,
                floor=-unused,
            )
            charge = _taxed_line(
                "charge",
                fitted(exact_new, new_value, currency),
                Text("tariff_rest", name=service.name, tariff=new_tariff.name),
                how,
                currency,
            )
            lines += [line for line in (credit, charge) if line is not None]
        else:
            # Each part's difference; a part is never credited more than is still paid for it
            # beyond the value of what the client keeps of it.
            differences: dict[str, Fraction] = {}
            held_back = Fraction(0)
            capped: set[str] = set()
            for part in sorted(set(exact_old) | set(exact_new)):
                keeps = exact_new.get(part, Fraction(0))
                difference = keeps - exact_old.get(part, Fraction(0))
                if difference < 0:
                    most = max(Fraction(0), paid.get(part, Fraction(0)) - keeps)
                    if -difference > most:
                        held_back += -difference - most
                        difference = -most
                        capped.add(part)
                if difference:
                    differences[part] = difference
            # value(new) − value(old), each rounded once, less what the caps hold back.
            total = new_value - old_value + round_amount(held_back, currency)
            kept_value = split(new_value, how, currency).gross
            line = _taxed_line(
                "addons",
                fitted(differences, total, currency, frozenset(capped)),
                Text("addons_added" if total > 0 else "addons_removed", name=service.name),
                how,
                currency,
                floor=-max(Decimal(0), unused - kept_value),
            )
            if line is not None:
                lines.append(line)
    return ChangeQuote(
        service=service,
        tariff=new_tariff,
        choices=new_choices,
        share=share,
        old_amount=old_amount,
        new_amount=new_amount,
        lines=lines,
        changed=changed,
        tax=_breakdown(lines, how, currency) if lines else None,
    )


def _breakdown(lines: list[ChargeLine], how: Treatment, currency: str) -> Breakdown:
    return Breakdown.of(tuple(LineTax(line.net, line.tax, line.amount) for line in lines), how, currency)
