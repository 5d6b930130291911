"""An abuse report's ticket subject is a fact (a kind and its parameters), read in the reader's
language on the client's pages, the staff queue, the API (Accept-Language) and the mail; the
data migration reads subjects written before back, and keeps any other subject verbatim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as HttpClient

from openbill.api.tests.conftest import token_client
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.support import actions
from openbill.support.models import AbuseAction, Ticket

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
STAFF = Actor("staff", label="abuse desk")


def _report(client: Any, service: Any = None) -> Ticket:
    report = actions.file_abuse_report(
        client,
        service=service,
        description="Spam sent from your server",
        score=10,
        deadline=NOW + timedelta(days=3),
        action=AbuseAction.FORWARD,
        actor=STAFF,
        now=NOW,
    )
    return report.ticket


@pytest.mark.django_db
def test_an_abuse_subject_reads_in_each_readers_language(
    alice: Any, alice_user: Any, vps_plan: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    service = f.service(alice, vps_plan, name="web1")
    alice_user.language = "es"
    alice_user.save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _report(alice, service)

    assert (ticket.subject, ticket.subject_kind, ticket.subject_params) == (
        "",
        "abuse_subject_service",
        {"service": "web1"},
    )
    # The client's mail, in her language (Spanish), though staff filed it in English.
    assert "Denuncia de abuso: web1" in mail.outbox[-1].subject
    page = HttpClient()
    page.force_login(alice_user)
    listing = page.get("/support/").content.decode()
    assert "Denuncia de abuso: web1" in listing and "Abuse report" not in listing
    assert "Denuncia de abuso: web1" in page.get(f"/support/{ticket.pk}/").content.decode()

    api = token_client(alice_user)
    assert api.get(f"/api/v1/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()["subject"] == (
        "Denuncia de abuso: web1"
    )
    assert api.get(f"/api/v1/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()["subject"] == "Abuse report: web1"

    staff_page = HttpClient()
    staff_page.force_login(staff)
    assert "Abuse report: web1" in staff_page.get("/staff/support/").content.decode()


@pytest.mark.django_db
def test_a_report_without_a_service_and_a_merge_keep_the_subject_as_a_fact(alice: Any) -> None:
    abuse = _report(alice)
    question = actions.open_ticket(alice, subject="Help", body="Why?", actor=Actor("client"), now=NOW)
    actions.merge_ticket(abuse, question, actor=STAFF, now=NOW)

    note = question.messages.get(body_kind="ticket_merged")
    assert note.body_params == {"id": abuse.pk, "subject": [{"kind": "abuse_subject", "params": {}}]}
    from openbill.core.texts import render

    assert (
        render(note.body_kind, note.body_params, "es")
        == f"El ticket n.º {abuse.pk} (Denuncia de abuso) se fusionó con este."
    )


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_reads_old_abuse_subjects_back(alice: Any) -> None:
    tickets = [_report(alice) for _ in range(3)]
    question = actions.open_ticket(alice, subject="Abuse report: web1", body="?", actor=Actor("client"), now=NOW)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("support")
    old = _migrate([("support", "0002_message_body_as_text")])
    try:
        rows = old.get_model("support", "Ticket").objects
        for ticket, subject in zip(
            tickets, ["Abuse report: web1", "Denuncia de abuso: web2", "Spam, again"], strict=True
        ):
            rows.filter(pk=ticket.pk).update(subject=subject)
    finally:
        _migrate(latest)

    read = [Ticket.objects.get(pk=t.pk) for t in tickets]
    assert [(t.subject, t.subject_kind, t.subject_params) for t in read] == [
        ("", "abuse_subject_service", {"service": "web1"}),
        ("", "abuse_subject_service", {"service": "web2"}),
        ("", "legacy", {"text": "Spam, again"}),
    ]
    from django.utils import translation

    with translation.override("es"):
        assert [t.title for t in read] == ["Denuncia de abuso: web1", "Denuncia de abuso: web2", "Spam, again"]
    # A client's own subject is what the client wrote, whatever its words.
    assert Ticket.objects.get(pk=question.pk).subject == "Abuse report: web1"
