"""Support on the read replica: the client's ticket list and the API's ticket list and ticket
read from it; the client area's ticket page stays on the primary (its GET marks the answer
read, and a write never follows a read of the replica); after a reply, the primary."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from openbill.api.tests.conftest import token_client
from openbill.core.actors import Actor
from openbill.core.tests.replica_helpers import (  # noqa: F401  (replica_on: fixture)
    REPLICA_DB,
    assert_pinned_after,
    assert_reads_primary,
    assert_reads_replica,
    replica_on,
)
from openbill.support import actions
from openbill.support.models import Ticket

pytestmark = [REPLICA_DB, pytest.mark.usefixtures("replica_on")]
STAFF = Actor("staff", None, "staff@test.test")
TABLES = ("support_ticket", "support_message")


@pytest.fixture
def answered(alice: Any, technical: Any) -> Ticket:
    ticket = actions.open_ticket(alice, subject="DNS", body="?", actor=Actor("client"), now=timezone.now())
    actions.staff_reply(ticket, body="Done", actor=STAFF, now=timezone.now())
    return ticket


def test_the_ticket_lists_and_the_api_ticket_read_the_replica(
    alice_web: Any, alice_user: Any, answered: Ticket
) -> None:
    api = token_client(alice_user)
    pages = {
        "tickets": lambda: alice_web.get("/support/"),
        "api tickets": lambda: api.get("/api/v1/tickets/"),
        "api ticket": lambda: api.get(f"/api/v1/tickets/{answered.pk}/"),
    }
    for page, call in pages.items():
        response = assert_reads_replica(page, call, TABLES)
    assert [m["body"] for m in response.json()["messages"]] == ["?", "Done"]


def test_the_ticket_page_marks_the_answer_read_on_the_primary(alice_web: Any, answered: Ticket) -> None:
    response = assert_reads_primary("ticket", lambda: alice_web.get(f"/support/{answered.pk}/"), TABLES)
    assert "Done" in response.content.decode()
    answered.refresh_from_db()
    assert not answered.unread


def test_after_a_reply_the_lists_read_the_primary(alice_web: Any, alice_user: Any, answered: Ticket) -> None:
    api = token_client(alice_user)
    assert_pinned_after(
        alice_web,
        lambda: alice_web.post(f"/support/{answered.pk}/", {"body": "Thanks"}),
        {"tickets": lambda: alice_web.get("/support/")},
        TABLES,
    )
    assert_pinned_after(
        api,
        lambda: api.post(f"/api/v1/tickets/{answered.pk}/reply/", {"body": "More"}, HTTP_IDEMPOTENCY_KEY="r-1"),
        {
            "api tickets": lambda: api.get("/api/v1/tickets/"),
            "api ticket": lambda: api.get(f"/api/v1/tickets/{answered.pk}/"),
        },
        TABLES,
    )
    assert list(answered.messages.values_list("body", flat=True).order_by("id")) == ["?", "Done", "Thanks", "More"]
