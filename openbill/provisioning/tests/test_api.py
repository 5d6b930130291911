"""The lifecycle verbs of the API: client verbs on its own services (404 for another client's),
409 for a state that does not allow the verb, 403 for a verb the product type forbids; staff
verbs and the staff queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.core.tests import factories as f
from openbill.provisioning import actions
from openbill.provisioning import staff as staff_ops
from openbill.provisioning.models import ProvisioningTask, TaskState
from openbill.services.choices import Status

from . import factories as pf

pytestmark = pytest.mark.django_db


def token_client(user: Any) -> APIClient:
    _, raw = ApiToken.issue(user, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()


@pytest.fixture
def alice_api(alice_user: Any) -> APIClient:
    return token_client(alice_user)


@pytest.fixture
def staff_api(staff: Any) -> APIClient:
    return token_client(staff)


@pytest.fixture
def manual(provider: Any, vps_plan: Any) -> Any:
    return pf.module(provider, "manual", vps_plan)


VERBS = ("suspend", "resume", "reboot", "delete", "cancel-deletion")


def test_client_reboots_and_sees_in_progress(alice_api: APIClient, alice: Any, vps_plan: Any, manual: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)

    answer = alice_api.post(f"/api/v1/services/{service.pk}/reboot/")

    assert answer.status_code == 200, answer.json()
    assert (answer.json()["label"], answer.json()["operation"]) == ("In progress (reboot)", "reboot")
    history = alice_api.get(f"/api/v1/services/{service.pk}/history/").json()["results"]
    assert history[0]["kind"] == "operation started"


def test_client_suspends_and_resumes(alice_api: APIClient, alice: Any, vps_plan: Any, manual: Any, staff: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)
    assert alice_api.post(f"/api/v1/services/{service.pk}/suspend/").json()["suspend_reasons"] == ["client"]
    staff_ops.staff_complete(
        ProvisioningTask.objects.get(service=service), actor=actions.MODULE_ACTOR, now=timezone.now()
    )

    answer = alice_api.post(f"/api/v1/services/{service.pk}/resume/")

    assert answer.status_code == 200
    assert answer.json()["label"] == "In progress (resume)" and answer.json()["suspend_reasons"] == []


def test_a_verb_in_a_state_that_forbids_it_is_409_and_changes_nothing(
    alice_api: APIClient, alice: Any, vps_plan: Any, manual: Any
) -> None:
    service = f.service(alice, vps_plan, module=manual)
    alice_api.post(f"/api/v1/services/{service.pk}/reboot/")

    answer = alice_api.post(f"/api/v1/services/{service.pk}/reboot/")
    assert answer.status_code == 409 and answer.json()["code"] == "illegal_transition"
    assert alice_api.post(f"/api/v1/services/{service.pk}/resume/").status_code == 409
    assert ProvisioningTask.objects.filter(service=service).count() == 1


def test_a_verb_the_product_type_forbids_is_403(alice_api: APIClient, alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.client_can_suspend = False
    vps_plan.product_type.deletion_who = "staff"
    vps_plan.product_type.save()
    service = f.service(alice, vps_plan, module=manual)

    assert alice_api.post(f"/api/v1/services/{service.pk}/suspend/").status_code == 403
    assert alice_api.post(f"/api/v1/services/{service.pk}/delete/").status_code == 403
    service.refresh_from_db()
    assert service.label == "Active"


def test_client_deletes_at_period_end_and_sees_the_date(
    alice_api: APIClient, alice: Any, vps_plan: Any, manual: Any
) -> None:
    vps_plan.product_type.deletion_when = "period_end"
    vps_plan.product_type.save()
    service = f.service(alice, vps_plan, module=manual)

    body = alice_api.post(f"/api/v1/services/{service.pk}/delete/", HTTP_IDEMPOTENCY_KEY="k-1").json()

    service.refresh_from_db()
    assert body["delete_at"] is not None and service.delete_at == service.expires_at
    assert body["auto_renew"] is False and body["label"] == "Active"
    assert alice_api.post(f"/api/v1/services/{service.pk}/cancel-deletion/").json()["delete_at"] is None


@pytest.mark.parametrize("verb", VERBS)
def test_another_clients_service_is_404(verb: str, alice_api: APIClient, bob: Any, vps_plan: Any, manual: Any) -> None:
    bobs = f.service(bob, vps_plan, module=manual)

    assert alice_api.post(f"/api/v1/services/{bobs.pk}/{verb}/").status_code == 404
    assert alice_api.post(f"/api/v1/services/not-a-number/{verb}/").status_code == 404
    bobs.refresh_from_db()
    assert (bobs.operation, bobs.delete_at, bobs.suspend_reasons) == ("", None, frozenset())


def test_staff_verbs_need_staff(alice_api: APIClient, alice: Any, vps_plan: Any, manual: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)
    assert alice_api.post(f"/api/v1/staff/services/{service.pk}/suspend/").status_code == 403
    assert alice_api.get("/api/v1/staff/tasks/").status_code == 403


def test_staff_suspend_queue_and_complete(staff_api: APIClient, alice: Any, vps_plan: Any, manual: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)

    answer = staff_api.post(f"/api/v1/staff/services/{service.pk}/suspend/")
    assert answer.status_code == 200 and answer.json()["suspend_reasons"] == ["admin"]
    now = timezone.now()
    for pk in actions.due_task_ids(now=now):
        actions.run(pk, worker="w", now=now)
    queue = staff_api.get("/api/v1/staff/tasks/").json()["results"]
    assert [(row["service"], row["operation"], row["state"]) for row in queue] == [
        (service.pk, "suspension", TaskState.WAITING_STAFF)
    ]

    done = staff_api.post(f"/api/v1/staff/tasks/{queue[0]['id']}/complete/", {"note": "done"}, format="json")

    assert done.status_code == 200 and done.json()["state"] == "done"
    service.refresh_from_db()
    assert service.status == Status.SUSPENDED and service.label == "Suspended by administrator"
    assert staff_api.post(f"/api/v1/staff/tasks/{queue[0]['id']}/retry/").status_code == 409


def test_staff_delete_with_options(staff_api: APIClient, alice: Any, vps_plan: Any, manual: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)

    bad = staff_api.post(f"/api/v1/staff/services/{service.pk}/delete/", {"at_period_end": "maybe"}, format="json")
    assert bad.status_code == 400 and "at_period_end" in bad.json()

    answer = staff_api.post(f"/api/v1/staff/services/{service.pk}/delete/", {"at_period_end": True}, format="json")
    assert answer.status_code == 200 and answer.json()["delete_at"] is not None


def test_certificate_download_in_the_api(alice_api: APIClient, alice: Any, bob: Any, provider: Any) -> None:
    from datetime import timedelta

    from openbill.core.crypto import encrypt
    from openbill.provisioning.models import Certificate

    plan = f.tariff(f.product_type(provider, "ssl"), "SSL")
    mine, bobs = f.service(alice, plan), f.service(bob, plan)
    for service in (mine, bobs):
        Certificate.objects.create(
            service=service,
            domain="shop.test",
            serial="ab",
            certificate_pem="LEAF",
            chain_pem="CA",
            private_key_encrypted=encrypt("KEY"),
            not_after=timezone.now() + timedelta(days=90),
            issued_at=timezone.now(),
        )

    body = alice_api.get(f"/api/v1/services/{mine.pk}/certificate/").json()
    assert (body["certificate_pem"], body["chain_pem"], body["private_key"]) == ("LEAF", "CA", "KEY")
    assert alice_api.get(f"/api/v1/services/{bobs.pk}/certificate/").status_code == 404
    without = f.service(alice, plan)
    assert alice_api.get(f"/api/v1/services/{without.pk}/certificate/").status_code == 404


def test_http_delete_on_a_verb_is_not_allowed(alice_api: APIClient, alice: Any, vps_plan: Any, manual: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)
    for verb in VERBS:
        answer = alice_api.delete(f"/api/v1/services/{service.pk}/{verb}/")
        assert answer.status_code == 405 and "DELETE" not in answer["Allow"]
    service.refresh_from_db()
    assert (service.operation, service.delete_at) == ("", None)
