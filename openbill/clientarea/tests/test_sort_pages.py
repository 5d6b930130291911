"""Sorting by a column many services share (the same expiry date) pages through every service
exactly once, in the client area and the API: equal rows follow the id in the sort's direction."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client as HttpClient
from django.utils import timezone

from openbill.core.tests import factories as f


def _ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-service-id="(\d+)">', html)]


def test_equal_expiry_dates_page_once_each(alice: Any, alice_user: Any, vps_plan: Any) -> None:
    same_day = timezone.now() + timedelta(days=12)
    made = [f.service(alice, vps_plan, name=f"vps-{n}", expires_at=same_day).pk for n in range(30)]
    http = HttpClient()
    http.force_login(alice_user)

    first = _ids(http.get("/services/?ordering=-expires_at").content.decode())
    second = _ids(http.get("/services/?ordering=-expires_at&page=2").content.decode())
    assert first + second == sorted(made, reverse=True)

    api = [
        row["id"]
        for offset in (0, 20)
        for row in http.get(f"/api/v1/services/?ordering=-expires_at&limit=20&offset={offset}").json()["results"]
    ]
    assert api == sorted(made, reverse=True)
    ascending = [row["id"] for row in http.get("/api/v1/services/?ordering=expires_at&limit=50").json()["results"]]
    assert ascending == sorted(made)
