"""``openbill preview --at DATE`` prints what the sweeps then do, and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from openbill.billing.models import Expense
from openbill.core.actors import Actor
from openbill.core.models import Notice
from openbill.core.tests import factories as f
from openbill.services import actions, sweeps
from openbill.services.automation.preview import build_preview
from openbill.services.choices import SuspendReason
from openbill.services.models import Service

from .sweep_helpers import confirm_operations, fingerprint

AT = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)


def scenario(provider, vps_plan, alice, bob) -> dict[str, Service]:
    vps_plan.product_type.auto_delete_days = 5
    vps_plan.product_type.save()
    pricey = f.tariff(vps_plan.product_type, "VPS-9", prices={"month": "60.00"})
    daily = f.tariff(vps_plan.product_type, "Daily", prices={"day": "1.00"})
    s = {
        "renews": f.service(alice, vps_plan, expires_at=AT + timedelta(hours=8), name="renews"),
        "daily": f.service(alice, daily, period="day", expires_at=AT + timedelta(hours=20), name="daily"),
        "no funds": f.service(bob, pricey, expires_at=AT + timedelta(hours=3), name="no funds"),
        "lapsed": f.service(bob, pricey, expires_at=AT - timedelta(hours=2), name="lapsed"),
        "manual": f.service(alice, vps_plan, expires_at=AT + timedelta(days=3), auto_renew=False, name="manual"),
        "low soon": f.service(bob, pricey, expires_at=AT + timedelta(days=5, hours=1), name="low soon"),
        "old stop": f.service(bob, vps_plan, expires_at=AT - timedelta(days=9), auto_renew=False, name="old stop"),
        "leaving": f.service(alice, vps_plan, expires_at=AT - timedelta(minutes=1), name="leaving"),
    }
    actions.suspend(s["old stop"], reason=SuspendReason.EXPIRED, actor=Actor.system("t"), now=AT - timedelta(days=8))
    confirm_operations(AT - timedelta(days=8))
    Service.objects.filter(pk=s["leaving"].pk).update(delete_at=AT - timedelta(minutes=1))
    return s


def what_the_sweeps_did(before_notices: set[str], result: dict[str, dict[str, object]]) -> dict[str, object]:
    return {
        "renewed": sorted(Expense.objects.filter(kind="period", created_at=AT).values_list("service_id", "amount")),
        "failed": sorted(result["renew"].get("failed_ids", [])),
        "stopped": sorted(result["expire"].get("stopped_ids", [])),
        "deleting": sorted(result["delete"].get("deleting_ids", [])),
        "notices": sorted(
            key
            for key, template in Notice.objects.values_list("key", "template")
            if key not in before_notices
            and template in {"service_renewed", "service_low_balance", "service_expiry_reminder"}
        ),
    }


@pytest.mark.django_db
def test_preview_shows_what_the_sweeps_then_do_and_changes_nothing(provider, vps_plan, alice, bob):
    with time_machine.travel(AT - timedelta(days=20), tick=False):
        services = scenario(provider, vps_plan, alice, bob)
    clients = [alice.pk, bob.pk]
    before = fingerprint(clients)
    before_notices = set(Notice.objects.values_list("key", flat=True))

    out = StringIO()
    call_command("preview", "--at", AT.isoformat(), stdout=out)
    predicted = build_preview(AT).summary()

    assert fingerprint(clients) == before  # the preview wrote nothing
    with time_machine.travel(AT, tick=False):
        result = sweeps.run_now(AT)
    assert what_the_sweeps_did(before_notices, result) == predicted

    ids = {name: service.pk for name, service in services.items()}
    assert predicted["renewed"] == sorted([(ids["renews"], Decimal("10.00")), (ids["daily"], Decimal("1.00"))])
    assert predicted["failed"] == sorted([ids["no funds"], ids["lapsed"]])
    assert predicted["stopped"] == [ids["lapsed"]]
    assert predicted["deleting"] == sorted([ids["old stop"], ids["leaving"]])
    text = out.getvalue()
    assert (
        f"renew      #{ids['renews']} renews: 10.00 USD, paid 2026-03-10T08:05+00:00 → 2026-04-10T08:05+00:00" in text
    )
    assert f"NO FUNDS   #{ids['no funds']} no funds: renewal of 60.00 USD not possible, balance too low" in text
    assert f"suspend    #{ids['lapsed']} lapsed: expired 2026-03-09" in text
    assert f"delete     #{ids['leaving']} leaving: scheduled by the client" in text
    assert f"notice     #{ids['manual']} service_expiry_reminder" in text
    assert "Totals: 2 renewals, 2 failing for lack of funds, 1 suspensions, 2 deletions" in text


@pytest.mark.django_db
def test_preview_at_a_later_date_and_as_json(provider, vps_plan, alice):
    later = AT + timedelta(days=30)
    with time_machine.travel(AT, tick=False):
        service = f.service(alice, vps_plan, expires_at=later + timedelta(hours=5))

    out = StringIO()
    call_command("preview", "--at", later.date().isoformat(), "--json", stdout=out)
    data = json.loads(out.getvalue())

    assert data["at"] == "2026-04-09T00:00:00+00:00"
    (entry,) = data["clients"]
    assert entry["renewals"] == [
        {
            "service": service.pk,
            "amount": "10.00",
            "from": "2026-04-09T05:05:00+00:00",
            "until": "2026-05-09T05:05:00+00:00",
        }
    ]
    assert Expense.objects.count() == 0
