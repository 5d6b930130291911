"""Support's lists and threads make the same number of queries for N and 2N rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openbill.api.tests.conftest import token_client
from openbill.core.actors import Actor
from openbill.support import actions

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", None, "staff@test.test")


def count(get: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = get(url)
    assert response.status_code == 200
    return len(captured)


def add_tickets(client: Any, n: int) -> Any:
    ticket = None
    for number in range(n):
        ticket = actions.open_ticket(
            client, subject=f"Q{number}", body="?", files=[("a.txt", b"x")], actor=Actor("client"), now=timezone.now()
        )
        actions.staff_reply(ticket, body="A", files=[("b.txt", b"y")], actor=STAFF, now=timezone.now())
    return ticket


@pytest.mark.parametrize("url", ["/support/", "/", "staff:/staff/support/"])
def test_support_lists_do_not_grow_with_the_number_of_tickets(alice, alice_web, staff_web, technical, url):
    web = staff_web if url.startswith("staff:") else alice_web
    url = url.removeprefix("staff:")
    add_tickets(alice, 3)
    web.get(url)  # the dashboard's first visit loads the catalog (catalog.selectors)
    few = count(web.get, url)
    add_tickets(alice, 3)
    assert count(web.get, url) == few


def test_api_ticket_list_does_not_grow(alice, alice_user, technical):
    api = token_client(alice_user)
    api.get("/api/v1/tickets/")  # the token's first use records itself once
    add_tickets(alice, 3)
    few = count(api.get, "/api/v1/tickets/")
    add_tickets(alice, 3)
    assert count(api.get, "/api/v1/tickets/") == few


def test_a_thread_does_not_grow_with_its_messages(alice, alice_web, alice_user, technical):
    ticket = add_tickets(alice, 1)
    api = token_client(alice_user)
    api.get("/api/v1/tickets/")
    alice_web.get(f"/support/{ticket.pk}/")  # the first visit marks the answer read
    page, answer = count(alice_web.get, f"/support/{ticket.pk}/"), count(api.get, f"/api/v1/tickets/{ticket.pk}/")
    for _ in range(3):
        actions.client_reply(ticket, body="more", files=[("c.txt", b"z")], actor=Actor("client"), now=timezone.now())
    assert count(alice_web.get, f"/support/{ticket.pk}/") == page
    assert count(api.get, f"/api/v1/tickets/{ticket.pk}/") == answer
