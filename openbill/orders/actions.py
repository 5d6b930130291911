"""Ordering, the cart, paying an order from the balance, extending and changing a service.

Business keys (DESIGN.md §4) used here, each unique per service under ``Expense``:

* first order: ``(service, setup, "first")`` and ``(service, period, "first")``. The first
  period's dates are known only when activation completes (the paid period starts when the
  service becomes Active), so its key is the fixed word ``first`` rather than a start date;
  ``services.actions.complete_operation`` fills in its dates when activation completes.
* extension: ``(service, period, <period start ISO>)`` — ``services.renewal.renew_service``.
* change: ``(service, change|refund, "line:<order line id>:<part>")``.

So a double click, two tabs, an API retry or two workers paying the same order charge once:
the order row is locked and re-checked, and the unique keys are the backstop.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from openbill.billing.actions import charge_service, insufficient_funds
from openbill.billing.models import Expense, ExpenseKind
from openbill.billing.rules import FIRST_PERIOD_KEY, can_pay
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition, NothingChanged
from openbill.core.money import Money, money_value
from openbill.core.notify import notify
from openbill.core.texts import Text, in_context, text_of
from openbill.core.texts import fields as text_fields
from openbill.core.timeutil import Period
from openbill.invoicing.promo import record_use as record_promo_use
from openbill.invoicing.selectors import invoice_details
from openbill.services import actions as service_actions
from openbill.services import events, rules
from openbill.services.choices import Operation, Status
from openbill.services.models import Service, ServiceAddon
from openbill.services.renewal import Renewal, renew_service
from openbill.services.selectors import with_pricing
from openbill.support.selectors import check_may_order
from openbill.vdc.selectors import check_pool_change

from .models import LineKind, Order, OrderLine, OrderStatus
from .pricing import ChangeQuote, check_parameters, check_period, quote_change, quote_new, tariffs_for


def _existing_line(client: Client, request_key: str) -> OrderLine | None:
    if not request_key:
        return None
    return OrderLine.objects.filter(client=client, request_key=request_key).first()


def place_order(
    client: Client,
    *,
    tariff: Any,
    period: Any,
    actor: Actor,
    now: datetime,
    addons: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    quick: bool = False,
    name: str = "",
    request_key: str = "",
    promo_code: str = "",
) -> OrderLine:
    """Create the service (status Ordered) and its cart line. Nothing is charged yet; a promo
    code's use is counted with the line (and given back if the line leaves the cart)."""
    check_may_order(client)
    quote = quote_new(
        client, tariff=tariff, period=period, addons=addons, parameters=parameters, quick=quick, promo_code=promo_code
    )
    existing = _existing_line(client, request_key)
    if existing is not None:
        return existing
    plan = quote.tariff
    try:
        with transaction.atomic():
            service = Service.objects.create(
                client=client,
                tariff=plan,
                product_type=plan.product_type,
                # Named by the client, else by its domain or host name, else after the tariff.
                name=(name.strip() or plan.product_type.name_from(quote.parameters) or plan.name)[:200],
                status=Status.ORDERED,
                period=quote.period,
                auto_renew=plan.auto_renew_default,
                parameters=quote.parameters,
                created_at=now,
            )
            ServiceAddon.objects.bulk_create(
                ServiceAddon(service=service, addon=c.addon, quantity=c.quantity, enum_item=c.enum_item)
                for c in quote.choices
            )
            line = OrderLine.objects.create(
                client=client,
                service=service,
                kind=LineKind.NEW,
                period=quote.period,
                # What is charged when paid: each part with its tax (invoicing), as shown.
                period_amount=quote.period_gross,
                setup_amount=quote.setup_gross,
                amount=quote.total,
                currency=quote.currency,
                **text_fields("description", Text("order_line", tariff=plan.name, period=quote.period)),
                details={
                    "tariff": plan.pk,
                    "addons": {c.addon.resource: c.display for c in quote.choices},
                    "quick": quick,
                    "components": quote.components,
                    **invoice_details(
                        quote.tax,
                        setup_label=_("setup fee"),
                        period_label=_("first period (%(period)s)") % {"period": Period(quote.period).label},
                        discount=quote.discount,
                    ),
                },
                request_key=request_key,
                created_at=now,
            )
            if quote.promo is not None:
                record_promo_use(quote.promo, client, service, now=now)
            events.record(service, "ordered", actor=actor, now=now, note=text_of(line, "description"))
    except IntegrityError:
        # The same request_key raced us: the first line is the answer.
        line = OrderLine.objects.get(client=client, request_key=request_key)
    return line


def _create_order(client: Client, lines: list[OrderLine], *, actor: Actor, now: datetime) -> Order:
    total = sum((line.amount for line in lines), Decimal(0))
    order = Order.objects.create(
        client=client, total_amount=total, currency=client.currency, created_at=now, created_by=str(actor)
    )
    OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(order=order)
    notify(
        client,
        "order_placed",
        key=f"order_placed:{order.pk}",
        now=now,
        context={
            "order_id": order.pk,
            "total": money_value(total, client.currency),
            "lines": [
                {
                    "service": line.service.name,
                    "description": in_context(text_of(line, "description")),
                    "amount": money_value(line.amount, line.currency),
                }
                for line in lines
            ],
        },
    )
    return order


def order_now(client: Client, *, actor: Actor, now: datetime, **spec: Any) -> Order:
    """ "Pay": one line straight into its own order (BILLmanager's skipbasket)."""
    with transaction.atomic():
        line = place_order(client, actor=actor, now=now, **spec)
        if line.order_id is not None:
            return line.order  # type: ignore[return-value]
        return _create_order(client, [line], actor=actor, now=now)


def checkout(client: Client, *, actor: Actor, now: datetime) -> Order:
    """Group every cart line into one order (to be paid as a whole)."""
    check_may_order(client)
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        lines = list(OrderLine.objects.for_client(client).in_cart().select_related("service").order_by("id"))
        if not lines:
            raise DomainError(_("The cart is empty."), field="cart")
        return _create_order(client, lines, actor=actor, now=now)


def checkout_and_pay(client: Client, *, actor: Actor, now: datetime, pay: bool = True) -> Order:
    """Turn the cart into one order and (unless ``pay`` is false) pay it from the balance, all or
    nothing: when the balance does not cover it, InsufficientFunds and the cart is as it was."""
    with transaction.atomic():
        order = checkout(client, actor=actor, now=now)
        if pay:
            order = pay_order(order, actor=actor, now=now)
    return order


def remove_line(line: OrderLine, *, actor: Actor, now: datetime) -> None:
    """Take a line out of the cart: its never-paid service is deleted, leaving no charge."""
    with transaction.atomic():
        # Lock order: the order, then the service, then the line — as pay_order takes them, so
        # that paying an order while its line is removed waits instead of deadlocking.
        order_id = OrderLine.objects.filter(pk=line.pk).values_list("order_id", flat=True).first()
        order = Order.objects.select_for_update().get(pk=order_id) if order_id is not None else None
        service = service_actions.lock(line.service_id)
        line = OrderLine.objects.select_for_update().get(pk=line.pk)
        if line.paid_at is not None or line.kind != LineKind.NEW or service.status != Status.ORDERED:
            raise IllegalTransition(_("This order has been paid and cannot be removed."))
        if line.order_id is not None:
            if order is None or order.pk != line.order_id:  # checked out meanwhile
                order = Order.objects.select_for_update().get(pk=line.order_id)
            if order.status != OrderStatus.PENDING:
                raise IllegalTransition(_("This order has been paid and cannot be removed."))
            line.delete()
            remaining = order.lines.aggregate(total=Sum("amount"))["total"]
            if remaining is None:
                order.status = OrderStatus.CANCELLED
                order.total_amount = Decimal(0)
            else:
                order.total_amount = remaining
            order.save(update_fields=["status", "total_amount"])
        else:
            line.delete()
        # Never paid: nothing references it in the ledger or the expenses, so it goes entirely.
        if service.expenses.exists() or service.ledger_entries.exists():
            raise IllegalTransition(_("This order has been paid and cannot be removed."))
        service.delete()


def empty_cart(client: Client, *, actor: Actor, now: datetime) -> int:
    lines = list(OrderLine.objects.for_client(client).in_cart())
    for line in lines:
        remove_line(line, actor=actor, now=now)
    return len(lines)


def pay_order(order: Order, *, actor: Actor, now: datetime) -> Order:
    """Charge every line of the order from the balance and start the services' activation.

    Idempotent: the order row is locked and its status re-checked under the lock, so a second
    payment (double click, second tab, retry, another worker) finds it paid and charges
    nothing; the expenses' unique keys are the backstop. All lines are paid or none."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.PAID:
            return locked
        if locked.status != OrderStatus.PENDING:
            raise IllegalTransition(_("This order was cancelled."))
        lines = list(locked.lines.select_related("service").order_by("id"))
        # Lock order: services, then the client (as renewals and changes do), never the reverse.
        services = {line.service_id: service_actions.lock(line.service_id) for line in lines}
        client = Client.objects.select_for_update().select_related("provider").get(pk=locked.client_id)
        total = sum((line.amount for line in lines), Decimal(0))
        if not can_pay(client.balance_amount, client.credit_limit, total):
            raise insufficient_funds(client, total)
        for line in lines:
            service = services[line.service_id]
            if service.status == Status.DELETED:
                raise IllegalTransition(_("A service of this order was deleted."))
            if line.setup_amount:
                charge_service(
                    service,
                    kind=ExpenseKind.SETUP,
                    key=FIRST_PERIOD_KEY,
                    amount=line.setup_amount,
                    description=Text("setup_fee", name=service.name),
                    now=now,
                    actor=actor,
                )
            charge_service(
                service,
                kind=ExpenseKind.PERIOD,
                key=FIRST_PERIOD_KEY,
                amount=line.period_amount,
                description=Text("first_period", name=service.name, period=line.period),
                now=now,
                actor=actor,
                components=line.details.get("components"),
            )
            line.paid_at = now
            line.save(update_fields=["paid_at"])
            service.paid_at = now
            service.save(update_fields=["paid_at"])
            events.record(service, "paid", actor=actor, now=now, note=Text("paid_by_order", order=locked.pk))
            service_actions.request_activation(service, actor=actor, now=now)
        locked.status = OrderStatus.PAID
        locked.paid_at = now
        locked.save(update_fields=["status", "paid_at"])
        return locked


def configure_service(service: Service, values: dict[str, Any], *, actor: Actor, now: datetime) -> Service:
    """A quick order's parameters: validated like an order's, then activation can start."""
    tariff = tariffs_for(service.client.provider).get(pk=service.tariff_id)
    if service.status != Status.CONFIGURATION_REQUIRED and service.status != Status.ORDERED:
        raise IllegalTransition(_("The service's parameters are already set."))
    merged = {**service.parameters, **{k: v for k, v in values.items()}}
    cleaned = check_parameters(tariff, merged, quick=False)
    # A quick order was named after its tariff: its domain or host name now names it.
    named = tariff.product_type.name_from(cleaned)
    if named and service.name == tariff.name:
        Service.objects.filter(pk=service.pk).update(name=named[:200])
        service.name = named[:200]
    return service_actions.supply_parameters(service, cleaned, actor=actor, now=now)


# --- extending ------------------------------------------------------------------------------


def extend_service(
    service: Service,
    *,
    period: Any,
    actor: Actor,
    now: datetime,
    expected_start: datetime | None = None,
) -> Renewal:
    """ "Extend validity period": charge one period from the balance; the new expiry is
    ``max(expiry, now) + period``; a service stopped only because it expired resumes.

    ``expected_start`` is the start shown with the price: a repeated submit of the same form
    finds that period already paid and charges nothing."""
    # As the row is now (the caller's copy may be stale); checked again under its lock.
    current = Service.objects.select_related("product_type").get(pk=service.pk)
    rules.check_allowed(current, rules.Action.EXTEND, now)
    if service.period == Period.DAY or period == Period.DAY:
        raise DomainError(
            _("Daily-priced services are not extended: they are charged from the balance each day."),
            field="period",
        )
    tariff = tariffs_for(service.client.provider).get(pk=service.tariff_id)
    chosen = check_period(tariff, period)
    return renew_service(service, actor=actor, now=now, period=chosen, expected_start=expected_start)


# --- changing -------------------------------------------------------------------------------


def change_service(
    service: Service,
    *,
    actor: Actor,
    now: datetime,
    tariff: Any = None,
    addons: dict[str, Any] | None = None,
    auto_renew: bool | None = None,
    period: Any = None,
    request_key: str = "",
    expected_total: Decimal | None = None,
) -> OrderLine | None:
    """Edit a service: auto-renewal and its period, add-ons, tariff (prorated, see pricing).

    The resources change goes to the module as a ``reconfiguration``; the expiry stays.
    ``expected_total``, when given, is the amount the client confirmed: if the price moved
    since (time passed, the catalog changed), nothing happens and a 409 asks to look again.
    Returns the change's order line (None when only auto-renewal settings changed)."""
    existing = _existing_line(service.client, request_key)
    if existing is not None:
        return existing
    with transaction.atomic():
        locked = service_actions.lock(service)
        client = Client.objects.select_for_update().select_related("provider").get(pk=locked.client_id)
        # A service being deleted takes no change and no charge (DESIGN.md §4, services.rules).
        rules.check_allowed(locked, rules.Action.EDIT, now)
        priced = with_pricing(Service.objects.filter(pk=locked.pk)).get()
        wants_resources = tariff not in (None, "", locked.tariff_id, str(locked.tariff_id)) or bool(addons)
        quote: ChangeQuote | None = None
        if wants_resources:
            quote = quote_change(priced, now=now, tariff=tariff, addons=addons)
            if not quote.changed:
                quote = None
        target_tariff = quote.tariff if quote else tariffs_for(client.provider).get(pk=locked.tariff_id)
        new_period = locked.period
        if period not in (None, ""):
            if (locked.period == Period.DAY or period == Period.DAY) and period != locked.period:
                raise DomainError(_("A daily-priced service keeps its daily period."), field="period")
            new_period = check_period(target_tariff, period)
        if quote is not None and expected_total is not None and quote.total != expected_total:
            raise IllegalTransition(_("The price has changed since it was shown; look at it again."))
        if quote is not None and locked.operation:
            raise IllegalTransition(
                _("Another operation is in progress: %(operation)s.") % {"operation": Operation(locked.operation).label}
            )
        line = None
        if quote is not None:
            net = quote.total
            if not can_pay(client.balance_amount, client.credit_limit, net):
                raise insufficient_funds(client, net)
            line = OrderLine.objects.create(
                client=client,
                service=locked,
                kind=LineKind.CHANGE,
                period=locked.period,
                amount=net,
                currency=client.currency,
                **text_fields("description", Text("change_line", name=locked.name)),
                details={
                    "tariff": [locked.tariff_id, quote.tariff.pk],
                    "addons": {c.addon.resource: c.display for c in quote.choices},
                    # What a cancelled reconfiguration restores (revert_change).
                    "previous_addons": [
                        [a.addon_id, str(a.quantity), a.enum_item_id]
                        for a in ServiceAddon.objects.filter(service=locked)
                    ],
                    "share": f"{quote.share.numerator}/{quote.share.denominator}",
                    "lines": [[cl.suffix, str(cl.amount)] for cl in quote.lines],
                    # Each line's net, tax and total as quoted and charged (invoicing).
                    **change_tax_details(quote),
                },
                request_key=request_key,
                created_at=now,
                paid_at=now,
            )
            # Credits first, so a downgrade-and-upgrade in one change needs only the net amount.
            # Each covers the rest of the paid time, so that a later refund of the unused part
            # counts what was actually paid (billing.selectors.unused_amount).
            for charge in sorted(quote.lines, key=lambda c: c.amount):
                charge_service(
                    locked,
                    kind=ExpenseKind.REFUND if charge.amount < 0 else ExpenseKind.CHANGE,
                    key=f"line:{line.pk}:{charge.suffix}",
                    amount=charge.amount,
                    description=charge.description,
                    now=now,
                    period_start=now,
                    period_end=locked.expires_at,
                    actor=actor,
                    components=charge.components,
                )
            _apply_resources(locked, quote)
            # A data center's pool never drops below what its machines use (raising undoes all).
            check_pool_change(locked)
            events.record(
                locked,
                "changed",
                actor=actor,
                now=now,
                note=Text(
                    "changed",
                    details=[f"{c.addon.name}: {c.display}" for c in quote.choices]
                    + ([quote.tariff.name] if quote.tariff.pk != priced.tariff_id else []),
                    amount=Money(net, client.currency),
                ),
            )
            spec = {c.addon.resource: (c.enum_item.code if c.enum_item else str(c.quantity)) for c in quote.choices}
            service_actions.start_operation(
                locked,
                Operation.RECONFIGURATION,
                actor=actor,
                now=now,
                params={"tariff": quote.tariff.pk, "resources": spec, "line": line.pk},
            )
        settings_changed = []
        if auto_renew is not None and auto_renew != locked.auto_renew:
            locked.auto_renew = auto_renew
            settings_changed.append(Text("auto_renew_on") if auto_renew else Text("auto_renew_off"))
        if new_period != locked.period:
            locked.period = new_period
            settings_changed.append(Text("renewal_period", period=new_period))
        if settings_changed:
            locked.save(update_fields=["auto_renew", "period"])
            events.record(
                locked, "settings changed", actor=actor, now=now, note=Text("settings", items=settings_changed)
            )
        if quote is None and not settings_changed:
            raise NothingChanged(_("Nothing changed."))
        return line


def revert_change(service: Service, *, actor: Actor, now: datetime, line_id: int | None = None) -> OrderLine | None:
    """Undo a change whose reconfiguration was cancelled (the remote never changed): new
    entries reverse each of its charges and credits (never edits), and the tariff and add-ons
    return to what they were. Idempotent (each reversal has its own key). The caller holds the
    service's row lock in a transaction; ``line_id`` is the change's order line (the task's
    ``line``), else the service's latest change."""
    lines = OrderLine.objects.filter(service=service, kind=LineKind.CHANGE)
    line = lines.filter(pk=line_id).first() if line_id else lines.order_by("-pk").first()
    if line is None:
        return None
    prefix = f"line:{line.pk}:"
    done = set(
        Expense.objects.filter(service=service, key__startswith=prefix, key__endswith=":reversed").values_list(
            "key", flat=True
        )
    )
    originals = Expense.objects.filter(service=service, key__startswith=prefix).exclude(key__endswith=":reversed")
    reversed_any = False
    # The client's money back first, then what it owes back (a downgrade's credit).
    for expense in sorted(originals, key=lambda e: -e.amount):
        key = f"{expense.key}:reversed"
        if key in done or not expense.amount:
            continue
        charge_service(
            service,
            kind=ExpenseKind.REFUND if expense.amount > 0 else ExpenseKind.CHANGE,
            key=key,
            amount=-expense.amount,
            description=Text("change_reversed", name=service.name),
            now=now,
            period_start=expense.period_start,
            period_end=expense.period_end,
            actor=actor,
            # The service keeps the size it was paid for before: a correction, owed even if
            # the credit was spent meanwhile.
            allow_overdraft=True,
            components={part: str(-Decimal(amount)) for part, amount in expense.components.items()},
        )
        reversed_any = True
    old_tariff = (line.details.get("tariff") or [None])[0]
    previous = line.details.get("previous_addons")
    if old_tariff and old_tariff != service.tariff_id:
        service.tariff_id = old_tariff
        service.save(update_fields=["tariff"])
    if previous is not None:
        ServiceAddon.objects.filter(service=service).delete()
        ServiceAddon.objects.bulk_create(
            ServiceAddon(service=service, addon_id=addon_id, quantity=Decimal(quantity), enum_item_id=item_id)
            for addon_id, quantity, item_id in previous
        )
    if reversed_any or previous is not None:
        events.record(
            service,
            "change reverted",
            actor=actor,
            now=now,
            note=text_of(line, "description"),
        )
    return line


def change_tax_details(quote: ChangeQuote) -> dict[str, Any]:
    """A change line's tax as quoted and charged, in the order lines' format
    (invoicing.selectors.invoice_details): ``[label, net, tax, gross, discount]`` per line."""
    if quote.tax is None:
        return {}
    return {
        "tax": {
            "scheme": quote.tax.scheme,
            "rate": str(quote.tax.rate),
            "name": quote.tax.name,
            "country": quote.tax.country,
            "promo_code": "",
            "parts": [
                [str(line.description), str(line.net), str(line.tax), str(line.amount), "0"] for line in quote.lines
            ],
        }
    }


def _apply_resources(service: Service, quote: ChangeQuote) -> None:
    if quote.tariff.pk != service.tariff_id:
        service.tariff = quote.tariff
        service.save(update_fields=["tariff"])
        ServiceAddon.objects.filter(service=service).delete()
    for choice in quote.choices:
        ServiceAddon.objects.update_or_create(
            service=service,
            addon=choice.addon,
            defaults={"quantity": choice.quantity, "enum_item": choice.enum_item},
        )
