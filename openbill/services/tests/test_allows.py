"""``rules.allows`` answers one action as ``allowed_actions`` does, and works out a service's
manual only when the action asked is the manual (a list asking one action of each row)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from openbill.catalog.models import ProductKind
from openbill.core.tests import factories as f
from openbill.services import rules
from openbill.services.choices import Operation, Status
from openbill.services.rules import Action, allowed_actions, allows

pytestmark = pytest.mark.django_db


@pytest.fixture
def services(alice: Any, provider: Any) -> list[Any]:
    hosting = f.product_type(
        provider, kind=ProductKind.VIRTUAL_HOSTING, instruction_template="Hosting for {{ params.domain }}."
    )
    f.parameter(hosting, "domain", kind="domain", required=False)
    plan = f.tariff(hosting)
    vps = f.tariff(f.product_type(provider, kind=ProductKind.VIRTUAL_SERVER), name="VPS")
    now = timezone.now()
    made = [
        f.service(alice, plan, parameters={"domain": "shop.test"}),  # offers its manual
        f.service(alice, plan),  # lacks the value its manual shows
        f.service(alice, plan, status=Status.SUSPENDED, parameters={"domain": "b.test"}, suspended_by_client=True),
        f.service(alice, plan, status=Status.ORDERED),
        f.service(alice, plan, status=Status.CONFIGURATION_REQUIRED),
        f.service(alice, vps),
        f.service(alice, vps, status=Status.SUSPENDED, suspended_expired=True),
        f.service(alice, vps, status=Status.DELETED),
    ]
    rebooting = f.service(alice, vps)
    rebooting.operation = Operation.REBOOT
    scheduled = f.service(alice, vps)
    scheduled.delete_at = now + timedelta(days=3)
    return [*made, rebooting, scheduled]


def test_allows_answers_every_action_as_allowed_actions(services: list[Any]) -> None:
    now = timezone.now()
    for service in services:
        allowed = allowed_actions(service, now)
        assert {action for action in Action if allows(service, action, now)} == allowed, service.status
    assert allows(services[0], Action.INSTRUCTIONS) and not allows(services[1], Action.INSTRUCTIONS)


def test_only_the_manual_works_out_the_manuals_values(services: list[Any], monkeypatch: Any) -> None:
    asked: list[Any] = []
    real = rules.missing_values
    monkeypatch.setattr(rules, "missing_values", lambda service, *rest: asked.append(service) or real(service, *rest))
    for action in Action:
        if action != Action.INSTRUCTIONS:
            allows(services[0], action)
    assert asked == []
    assert allows(services[0], Action.INSTRUCTIONS)
    assert asked == [services[0]]
