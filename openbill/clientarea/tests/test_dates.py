"""Dates and times on the client's pages: in the provider's time zone, a moment in the reader's
language ("Mar 5, 2026, 3:30 PM" / "5 mar 2026, 15:30"), a day as the seed writes it
("2026-03-05"), one formatter for every table (core.formats)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from openbill.clients.models import Provider
from openbill.core.tests import factories as f
from openbill.services.models import ServiceEvent

# 14:30 in UTC is 15:30 in Madrid (winter time).
AT = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
NNBSP = "\u202f"  # CLDR's narrow no-break space before "PM"


def _page(user: Any, language: str, url: str) -> str:
    user.language = language
    user.save(update_fields=["language"])
    http = HttpClient()
    http.force_login(user)
    response = http.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_finances_and_history_tables_show_the_providers_wall_clock_in_the_readers_language(
    provider: Any, vps_plan: Any
) -> None:
    Provider.objects.filter(pk=provider.pk).update(time_zone="Europe/Madrid")
    with time_machine.travel(AT, tick=False):
        alice = f.client(Provider.objects.get(pk=provider.pk), "alice@dates.test", balance="10.00")
        service = f.service(alice, vps_plan, name="web1")
        ServiceEvent.objects.create(service=service, at=AT, actor_kind="system", actor_label="module", kind="note")
    user = alice.memberships.get().user

    english = _page(user, "en", "/finances/")
    assert f"Mar 5, 2026, 3:30{NNBSP}PM" in english
    assert "2026-03-05 14:30" not in english and "2026-03-05 15:30" not in english
    spanish = _page(user, "es", "/finances/")
    assert "5 mar 2026, 15:30" in spanish and "Mar 5" not in spanish

    assert f"Mar 5, 2026, 3:30{NNBSP}PM" in _page(user, "en", f"/services/{service.pk}/history/")
    assert "5 mar 2026, 15:30" in _page(user, "es", f"/services/{service.pk}/history/")
    # A day, as the seed writes it, in the provider's zone: ordered on 2026-03-05 in Madrid.
    assert "2026-03-05" in _page(user, "es", f"/services/{service.pk}/")


@pytest.mark.django_db
def test_the_api_keeps_iso_8601_in_utc(provider: Any, alice_user: Any) -> None:
    from rest_framework.test import APIClient

    Provider.objects.filter(pk=provider.pk).update(time_zone="Europe/Madrid")
    api = APIClient()
    api.force_authenticate(alice_user)
    entries = api.get("/api/v1/ledger/", HTTP_ACCEPT_LANGUAGE="es").json()
    moment = entries["results"][0]["created_at"]
    assert moment.endswith("Z") and "T" in moment
