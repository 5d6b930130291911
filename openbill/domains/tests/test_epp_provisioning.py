"""The EPP module through provisioning, as the worker runs it: activation registers the
domain; a dropped connection is retried with the service unchanged; a permanent registry error
lands in the staff queue with the registry's message."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.provisioning import actions, staff
from openbill.provisioning.models import ProvisioningTask, TaskState
from openbill.provisioning.tests import factories as pf
from openbill.services import actions as services
from openbill.services.choices import Status

from .conftest import EPP_SECRETS
from .epp_server import EppServer, Registry
from .test_epp_module import OWNER

pytestmark = pytest.mark.django_db
ALICE = Actor("client", None, "alice@test.test")


@pytest.fixture
def domain_plan(provider: Any) -> Any:
    ptype = f.product_type(provider, "domain", client_can_suspend=False)
    return f.tariff(ptype, ".test", prices={"year": "10.00"})


@pytest.fixture
def registrar(provider: Any, domain_plan: Any, epp_config: dict[str, Any]) -> Any:
    return pf.module(provider, "epp", domain_plan, name="Test registry", config=epp_config, secrets=EPP_SECRETS)


def ordered(alice: Any, plan: Any, name: str, **parameters: Any) -> Any:
    params = {
        "domain": name,
        "action": "register",
        "contacts": {"owner": OWNER},
        "ns": "ns1.provider.net",
        **parameters,
    }
    return f.service(alice, plan, status=Status.ORDERED, period="year", name=name, parameters=params)


def run_due() -> list[str]:
    now = timezone.now()
    return [actions.run(pk, worker="w", now=now) for pk in actions.due_task_ids(now=now)]


def test_activation_registers_the_domain(alice: Any, domain_plan: Any, registrar: Any, epp_registry: Registry) -> None:
    service = ordered(alice, domain_plan, "alice.test")
    services.request_activation(service, actor=ALICE, now=timezone.now())
    assert run_due() == ["done"]
    service.refresh_from_db()
    assert service.status == Status.ACTIVE
    assert service.remote_id == epp_registry.domains["alice.test"].roid
    assert epp_registry.domains["alice.test"].ns == ["ns1.provider.net"]


def test_dropped_connection_is_retried(
    alice: Any, domain_plan: Any, registrar: Any, epp_server: EppServer, epp_registry: Registry
) -> None:
    service = ordered(alice, domain_plan, "alice.test")
    services.request_activation(service, actor=ALICE, now=timezone.now())
    epp_server.drop_next = 1
    assert run_due() == ["retry"]
    task = ProvisioningTask.objects.get(service=service)
    assert task.state == TaskState.QUEUED and "closed" in task.last_error
    service.refresh_from_db()
    assert service.status == Status.ORDERED and "alice.test" not in epp_registry.domains


def test_permanent_registry_error_goes_to_staff(
    alice: Any, domain_plan: Any, registrar: Any, epp_registry: Registry
) -> None:
    epp_registry.add_domain("taken.test")
    service = ordered(alice, domain_plan, "taken.test")
    services.request_activation(service, actor=ALICE, now=timezone.now())
    assert run_due() == ["failed"]
    task = ProvisioningTask.objects.get(service=service)
    assert task in staff.staff_queue()
    assert "2302" in task.last_error and "taken.test is already registered" in task.last_error
