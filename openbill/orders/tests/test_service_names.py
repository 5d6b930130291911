"""A service's default name comes from the parameter that names it (a domain name, a host
name), so the list, Orders, mail and the staff queue all show it; a name the client gives wins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openbill.core.actors import Actor
from openbill.core.models import Notice
from openbill.orders import actions

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ALICE = Actor("client", None, "alice")


def test_a_domain_is_named_after_its_domain_name_in_unicode_in_the_order_mail_too(alice: Any, domain_plan: Any) -> None:
    order = actions.order_now(
        alice, tariff=domain_plan.pk, period="year", parameters={"domain": "bücher.com"}, actor=ALICE, now=NOW
    )
    service = order.lines.get().service

    assert service.name == "bücher.com"
    assert service.parameters["domain"] == "xn--bcher-kva.com"
    placed = Notice.objects.get(template="order_placed")
    assert [line["service"] for line in placed.context["lines"]] == ["bücher.com"]


def test_a_server_is_named_after_its_host_name_and_a_given_name_wins(alice: Any, vps_catalog: Any) -> None:
    plan = vps_catalog["plan"]
    named = actions.place_order(
        alice, tariff=plan.pk, period="month", parameters={"hostname": "web1.example.com"}, actor=ALICE, now=NOW
    )
    chosen = actions.place_order(
        alice,
        tariff=plan.pk,
        period="month",
        parameters={"hostname": "db.example.com"},
        name="Database",
        actor=ALICE,
        now=NOW,
    )

    assert named.service.name == "web1.example.com"
    assert chosen.service.name == "Database"


def test_a_quick_order_takes_its_host_name_once_configured(alice: Any, vps_catalog: Any) -> None:
    plan = vps_catalog["plan"]
    plan.quick_order = True
    plan.save()
    order = actions.order_now(
        alice, tariff=plan.pk, period="month", addons={"ram": "1"}, parameters={}, quick=True, actor=ALICE, now=NOW
    )
    actions.pay_order(order, actor=ALICE, now=NOW)
    service = order.lines.get().service
    service.refresh_from_db()
    assert service.name == plan.name  # nothing names it yet

    actions.configure_service(service, {"hostname": "ok.example.com"}, actor=ALICE, now=NOW)

    service.refresh_from_db()
    assert service.name == "ok.example.com"
