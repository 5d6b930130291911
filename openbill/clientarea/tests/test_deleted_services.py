"""The seed's *Deleted* status: a deleted service stays visible to its client, read-only with
its History, for OPENBILL_DELETED_VISIBLE_DAYS; the status filter finds it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.services import events
from openbill.services.choices import Status
from openbill.services.models import Service

pytestmark = pytest.mark.django_db


def _deleted(client: Any, plan: Any, name: str, days_ago: int) -> Service:
    service = f.service(client, plan, name=name)
    at = timezone.now() - timedelta(days=days_ago)
    events.record(
        service, "status", actor=Actor.system("test"), now=at, from_status=Status.ACTIVE, to_status=Status.DELETED
    )
    Service.objects.filter(pk=service.pk).update(status=Status.DELETED, deleted_at=at)
    return service


def _row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-service-id="(\d+)">', html)]


def test_the_deleted_filter_finds_recently_deleted_services_only(
    alice: Any, bob: Any, alice_http: HttpClient, vps_plan: Any, settings: Any
) -> None:
    settings.OPENBILL_DELETED_VISIBLE_DAYS = 30
    running = f.service(alice, vps_plan, name="Running")
    recent = _deleted(alice, vps_plan, "Deleted last week", days_ago=7)
    _deleted(alice, vps_plan, "Deleted long ago", days_ago=31)
    _deleted(bob, vps_plan, "Bob's deleted", days_ago=1)

    assert _row_ids(alice_http.get("/services/?status=deleted").content.decode()) == [recent.pk]
    assert set(_row_ids(alice_http.get("/services/").content.decode())) == {running.pk, recent.pk}


def test_a_deleted_service_is_read_only_with_its_history_until_the_providers_time_runs_out(
    alice: Any, alice_http: HttpClient, vps_plan: Any, settings: Any
) -> None:
    settings.OPENBILL_DELETED_VISIBLE_DAYS = 30
    service = _deleted(alice, vps_plan, "Old server", days_ago=7)

    page = alice_http.get(f"/services/{service.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    service.refresh_from_db()
    assert service.deleted_at is not None
    deleted_on = timezone.localtime(service.deleted_at)
    until = deleted_on + timedelta(days=30)
    assert f"This service was deleted on {deleted_on:%Y-%m-%d}" in html
    assert f"read-only, until {until:%Y-%m-%d}" in html
    for path in ("/edit/", "/extend/", "/suspend/", "/reboot/", "/delete/", "/statistics/", "/ips/"):
        assert f"/services/{service.pk}{path}" not in html, path
    history = alice_http.get(f"/services/{service.pk}/history/").content.decode()
    assert 'data-testid="history"' in history and "Deleted" in history

    settings.OPENBILL_DELETED_VISIBLE_DAYS = 6
    assert alice_http.get(f"/services/{service.pk}/").status_code == 404


def test_another_clients_deleted_service_is_a_404(bob_http: HttpClient, alice: Any, vps_plan: Any) -> None:
    service = _deleted(alice, vps_plan, "Alice's", days_ago=1)

    assert bob_http.get(f"/services/{service.pk}/").status_code == 404
    assert bob_http.get(f"/services/{service.pk}/history/").status_code == 404
