"""The set-based renew path (PostgreSQL) leaves exactly what renew_service, one service at a time,
leaves: balances, expiries, ledger (with each entry's balance after, in order), charges, History,
notices and the resume operations (reliability.md, "Equivalence"). On every database, the rows
the set-based path stages for its SQL are the rows renew_service writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from openbill.billing.audit import run_audit
from openbill.billing.models import EntryKind, ExpenseKind
from openbill.catalog.models import Addon
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.services import actions, sweeps
from openbill.services.automation import due
from openbill.services.automation.engine import SWEEP_ACTOR
from openbill.services.automation.renew import ROW_FIELDS, Renew, staged_dict, staged_rows
from openbill.services.choices import SuspendReason
from openbill.services.models import Service, ServiceAddon

from .sweep_helpers import confirm_operations, fingerprint

AT = datetime(2026, 5, 31, 22, 30, tzinfo=UTC)


class Rollback(Exception):
    pass


def build() -> list[int]:
    usd = f.provider("Equivalence USD")
    vps = f.product_type(usd, "vds")
    plan = f.tariff(vps, "VPS", prices={"day": "1.00", "month": "10.00", "year": "500.00"})
    ram = f.addon(plan, "ram", prices={"month": "2.50", "day": "0.10"}, included=Decimal(1))
    os_addon = f.enum_addon(plan, "os", {"debian": {"month": "0"}, "windows": {"month": "7.333"}})
    free = f.tariff(vps, "Free", prices={"month": "0"})
    yearly_only = f.tariff(vps, "Yearly only", prices={"year": "90.00"})
    alice = f.client(usd, "alice@eq.test", balance="100.00")
    bob = f.client(usd, "bob@eq.test", balance="15.00", credit_limit=Decimal("10.00"))
    carol = f.client(usd, "carol@eq.test", balance="3.00")

    soon = AT + timedelta(hours=1)
    f.service(alice, plan, expires_at=soon, name="plain")
    f.service(alice, plan, period="year", expires_at=soon + timedelta(minutes=1), name="too dear")
    f.service(alice, plan, period="day", expires_at=soon + timedelta(minutes=2), name="daily")
    with_addons = f.service(alice, plan, expires_at=soon + timedelta(minutes=3), name="addons", addons={ram: "3"})
    windows = os_addon.items.get(code="windows")
    ServiceAddon.objects.create(service=with_addons, addon=os_addon, enum_item=windows)
    f.service(alice, free, expires_at=soon, name="free")
    f.service(alice, yearly_only, expires_at=soon, name="no monthly price")
    f.service(alice, plan, expires_at=soon + timedelta(days=5), name="not due")
    f.service(alice, plan, expires_at=soon, auto_renew=False, name="manual")
    # bob: 15 + 10 credit. 20 fits (-5), the next 10 does not (-15), a 1.00 daily one does (-6).
    dear = f.tariff(vps, "Dear", prices={"month": "20.00"})
    f.service(bob, dear, expires_at=soon, name="first")
    f.service(bob, plan, expires_at=soon + timedelta(minutes=1), name="second")
    f.service(bob, plan, period="day", expires_at=soon + timedelta(minutes=2), name="third")
    # carol's lapsed service, stopped for expiry: renewing it resumes it.
    stopped = f.service(carol, free, expires_at=AT - timedelta(days=2), name="stopped")
    actions.suspend(stopped, reason=SuspendReason.EXPIRED, actor=Actor.system("test"), now=AT - timedelta(days=2))
    confirm_operations(AT - timedelta(days=2))

    yen = f.provider("Equivalence JPY", currency="JPY", time_zone="Asia/Tokyo")
    yen_plan = f.tariff(f.product_type(yen, "vds"), "Yen", prices={"month": "999.5"})
    dan = f.client(yen, "dan@eq.test", balance="5000")
    f.service(dan, yen_plan, expires_at=AT + timedelta(hours=2), name="yen")
    return [alice.pk, bob.pk, carol.pk, dan.pk]


def run(client_ids: list[int], *, each: bool) -> dict[str, object]:
    Renew.force_each = each  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            result = sweeps.run_now(AT)
            assert result["renew"]["renewed"] >= 8, result
            state = fingerprint(client_ids)
            assert run_audit() == []
            raise Rollback(state)
    except Rollback as done:
        return done.args[0]  # type: ignore[no-any-return]
    finally:
        Renew.force_each = False  # type: ignore[attr-defined]


@pytest.mark.postgres
@pytest.mark.django_db
def test_set_based_renewal_leaves_exactly_what_renew_service_leaves():
    with time_machine.travel(AT - timedelta(days=35), tick=False):
        client_ids = build()
    before = fingerprint(client_ids)

    set_based = run(client_ids, each=False)
    one_by_one = run(client_ids, each=True)

    assert set_based != before
    for part in before:
        assert set_based[part] == one_by_one[part], part
    renewed = {(s, key) for s, kind, key, *_rest in set_based["expenses"]} - {
        (s, key) for s, kind, key, *_rest in before["expenses"]
    }
    names = dict(Service.objects.values_list("pk", "name"))
    assert sorted(names[s] for s, _key in renewed) == sorted(
        ["plain", "daily", "addons", "free", "first", "third", "stopped", "yen"]
    )
    amounts = {names[s]: a for s, _k, _key, a, *_rest in set_based["expenses"] if (s, _key) in renewed}
    assert amounts["addons"] == Decimal("22.33")  # 10 + 2 × 2.50 + 7.333, rounded once
    assert amounts["yen"] == Decimal("1000")
    # The breakdown per part is written by the set-based SQL as by renew_service.
    parts = {names[s]: json.loads(p) for s, _k, _key, _a, *_rest, p in set_based["expenses"] if (s, _key) in renewed}
    assert parts["addons"] == {"tariff": "10.00", f"addon:{ram_id()}": "5.00", f"addon:{os_id()}": "7.33"}
    assert parts["first"] == {"tariff": "20.00"}


def ram_id() -> int:
    return Addon.objects.get(
        tariff__name="VPS", tariff__product_type__provider__name="Equivalence USD", resource="ram"
    ).pk


def os_id() -> int:
    return Addon.objects.get(
        tariff__name="VPS", tariff__product_type__provider__name="Equivalence USD", resource="os"
    ).pk


def staged(client_ids: list[int]) -> list[dict[str, object]]:
    """What the set-based path decides and stages for the due services, before its SQL."""
    rows = list(
        Service.objects.filter(due.renew_due(due.renew_horizons(AT)), client_id__in=client_ids)
        .order_by("client_id", "expires_at", "pk")
        .values_list(*ROW_FIELDS)
    )
    clients = Client.objects.filter(pk__in=client_ids).select_related("provider")
    funds = {c.pk: due.ClientFunds(c.balance_amount, c.credit_limit) for c in clients}
    balances = {c.pk: c.balance_amount for c in clients}
    currency_of = {c.pk: c.currency for c in clients}
    tz_of = {c.pk: c.provider.tz for c in clients}
    decisions = due.decide_renewals(rows, funds, now=AT, pricer=due.Pricer(), currency_of=currency_of, tz_of=tz_of)
    wanted = [d for d in decisions if d.ok]
    return [staged_dict(row) for row in staged_rows(wanted, balances, currency_of=currency_of, tz_of=tz_of)]


@pytest.mark.django_db
def test_the_set_based_rows_are_the_ledger_rows_renew_service_writes():
    with time_machine.travel(AT - timedelta(days=35), tick=False):
        client_ids = build()
    before = fingerprint(client_ids)
    planned = staged(client_ids)

    one_by_one = run(client_ids, each=True)

    written_ledger = sorted(set(one_by_one["ledger"]) - set(before["ledger"]), key=repr)
    planned_ledger = sorted(
        (
            r["client_id"],
            r["service_id"],
            EntryKind.CHARGE,
            -r["amount"],  # type: ignore[operator]
            r["balance_after"],
            r["ledger_key"],
            r["description_kind"],
            json.dumps(r["description_params"], sort_keys=True),
            AT,
            str(SWEEP_ACTOR),
        )
        for r in planned
        if r["ledger_key"] is not None
    )
    assert written_ledger == sorted(planned_ledger, key=repr)
    written_charges = sorted(set(one_by_one["expenses"]) - set(before["expenses"]), key=repr)
    planned_charges = sorted(
        (
            r["service_id"],
            ExpenseKind.PERIOD,
            r["start_key"],
            r["amount"],
            r["currency"],
            r["period_start"],
            r["period_end"],
            r["ledger_key"] is not None,
            AT,
            json.dumps(r["components"], sort_keys=True),
        )
        for r in planned
    )
    assert written_charges == sorted(planned_charges, key=repr)
    names = dict(Service.objects.values_list("pk", "name"))
    assert sorted(names[r["service_id"]] for r in planned) == sorted(  # type: ignore[index]
        ["plain", "daily", "addons", "free", "first", "third", "stopped", "yen"]
    )
    # What each renewal paid per part of the service, the same on both paths (billing.rules.spread).
    parts = {names[r["service_id"]]: r["components"] for r in planned}  # type: ignore[index]
    assert parts["addons"] == {"tariff": "10.00", f"addon:{ram_id()}": "5.00", f"addon:{os_id()}": "7.33"}
    assert parts["yen"] == {"tariff": "1000"}
    assert parts["free"] == {}
