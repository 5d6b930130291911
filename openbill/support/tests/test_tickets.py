"""Tickets: a client asks (about a service or in general), staff answer, the client replies or
closes; mail goes both ways; internal notes never leave the staff side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.core.actors import Actor
from openbill.support import actions, selectors
from openbill.support.models import Attachment, Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", None, "staff@test.test")


def ask(web: Any, capture: Any, **data: Any) -> Any:
    with capture(execute=True):
        return web.post("/support/new/", data)


def test_ask_a_question_is_offered_on_the_service_page_with_the_service_filled_in(alice_web, alice_vps, technical):
    page = alice_web.get(f"/services/{alice_vps.pk}/").content.decode()
    assert f"/support/new/?service={alice_vps.pk}" in page

    form = alice_web.get(f"/support/new/?service={alice_vps.pk}").content.decode()
    assert f'<option value="{alice_vps.pk}" selected>#{alice_vps.pk} Web server</option>' in form
    assert 'value="Question about Web server"' in form


def test_a_client_asks_about_a_service_and_reads_the_staff_reply(
    alice, alice_web, staff_web, alice_vps, technical, django_capture_on_commit_callbacks
):
    answer = ask(
        alice_web,
        django_capture_on_commit_callbacks,
        subject="Disk full?",
        department=technical.pk,
        service=alice_vps.pk,
        priority="high",
        body="My server says the disk is full.",
    )
    ticket = Ticket.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/support/{ticket.pk}/"
    assert (ticket.client, ticket.service, ticket.department, ticket.priority, ticket.status) == (
        alice,
        alice_vps,
        technical,
        "high",
        TicketStatus.OPEN,
    )
    # Staff of the department hear of it.
    assert [m.to for m in mail.outbox] == [["tech@provider.test"]]
    assert "My server says the disk is full." in mail.outbox[0].body
    assert f"ref:{ticket.token}" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        staff_web.post(f"/staff/support/{ticket.pk}/", {"verb": "reply", "body": "We freed 10 GB for you."})

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED and ticket.waiting_since is None
    reply = mail.outbox[-1]
    assert reply.to == ["alice@test.test"]
    assert "We freed 10 GB for you." in reply.body
    assert f"https://billing.example.test/support/{ticket.pk}/" in reply.body
    assert f"ref:{ticket.token}" in reply.subject

    listing = alice_web.get("/support/").content.decode()
    assert "Disk full?" in listing and 'data-testid="unread"' in listing
    assert "Answered" in listing
    thread = alice_web.get(f"/support/{ticket.pk}/").content.decode()
    assert "We freed 10 GB for you." in thread
    assert 'data-testid="unread"' not in alice_web.get("/support/").content.decode()  # read now


def test_the_dashboard_lists_answers_waiting_for_the_client(alice, alice_web, technical):
    ticket = actions.open_ticket(alice, subject="DNS", body="?", actor=Actor("client"), now=timezone.now())
    assert "DNS" not in alice_web.get("/").content.decode().split('data-testid="open-questions"')[1]
    actions.staff_reply(ticket, body="Done", actor=STAFF, now=timezone.now())

    widget = alice_web.get("/").content.decode().split('data-testid="open-questions"')[1].split("</section>")[0]
    assert f"#{ticket.pk} DNS" in widget and "New answer" in widget


def test_a_general_question_needs_no_service_and_lands_in_the_first_department(
    alice_web, technical, billing_department
):
    ask_page = alice_web.get("/support/new/").content.decode()
    assert "A general question" in ask_page
    alice_web.post("/support/new/", {"subject": "Hi", "department": billing_department.pk, "body": "Invoice?"})
    assert Ticket.objects.get().service is None
    assert Ticket.objects.get().department == billing_department


def test_internal_notes_never_reach_the_client(
    alice, alice_web, staff_web, technical, django_capture_on_commit_callbacks
):
    ticket = actions.open_ticket(alice, subject="Slow", body="It is slow", actor=Actor("client"), now=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff_web.post(f"/staff/support/{ticket.pk}/", {"verb": "note", "body": "SECRET: client is on the old node"})
        staff_web.post(f"/staff/support/{ticket.pk}/", {"verb": "reply", "body": "We are looking into it."})

    staff_page = staff_web.get(f"/staff/support/{ticket.pk}/").content.decode()
    assert "SECRET: client is on the old node" in staff_page  # staff see it
    assert "SECRET" not in alice_web.get(f"/support/{ticket.pk}/").content.decode()
    _, raw = ApiToken.issue(alice.memberships.get().user, "t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert [m["body"] for m in body["messages"]] == ["It is slow", "We are looking into it."]
    assert all("SECRET" not in message.body and "SECRET" not in message.subject for message in mail.outbox)
    assert [m.to for m in mail.outbox] == [["alice@test.test"]]  # the reply only
    # The note changed nothing the client sees: the ticket is Answered by the reply.
    assert Ticket.objects.get().status == TicketStatus.ANSWERED


def test_a_closed_ticket_opens_again_on_a_client_reply(alice, alice_web, technical):
    ticket = actions.open_ticket(alice, subject="Q", body="?", actor=Actor("client"), now=timezone.now())
    alice_web.post(f"/support/{ticket.pk}/close/")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED

    alice_web.post(f"/support/{ticket.pk}/", {"body": "One more thing"})

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CUSTOMER_REPLY and ticket.closed_at is None
    assert ticket.waiting_since is not None


def test_a_blank_reply_is_a_form_error_and_posts_nothing(alice, alice_web, technical):
    ticket = actions.open_ticket(alice, subject="Q", body="?", actor=Actor("client"), now=timezone.now())
    answer = alice_web.post(f"/support/{ticket.pk}/", {"body": "   "})
    assert answer.status_code == 400
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_a_client_cannot_ask_about_another_clients_service(alice, bob_web, alice_vps, technical):
    assert bob_web.get(f"/support/new/?service={alice_vps.pk}").status_code == 404
    answer = bob_web.post(
        "/support/new/", {"subject": "x", "department": technical.pk, "service": alice_vps.pk, "body": "x"}
    )
    assert answer.status_code == 400
    assert not Ticket.objects.exists()


def test_staff_queue_is_oldest_waiting_first_and_filters(alice, bob, staff_web, technical, billing_department):
    now = timezone.now()
    actions.open_ticket(alice, subject="Newer", body="?", department=technical, actor=Actor("client"), now=now)
    actions.open_ticket(
        bob,
        subject="Older",
        body="?",
        department=billing_department,
        actor=Actor("client"),
        now=now - timedelta(hours=5),
    )
    answered = actions.open_ticket(
        alice, subject="Answered one", body="?", actor=Actor("client"), now=now - timedelta(days=2)
    )
    actions.staff_reply(answered, body="ok", actor=STAFF, now=now)

    page = staff_web.get("/staff/support/").content.decode()
    assert page.index("Older") < page.index("Newer") < page.index("Answered one")
    assert "5h 0m" in page

    by_department = staff_web.get(f"/staff/support/?department={billing_department.pk}").content.decode()
    assert "Older" in by_department and "Newer" not in by_department
    assert [t.pk for t in selectors.staff_queue(status="answered")] == [answered.pk]


def test_staff_assign_move_and_merge(alice, bob, staff, staff_web, technical, billing_department):
    first = actions.open_ticket(alice, subject="First", body="one", actor=Actor("client"), now=timezone.now())
    duplicate = actions.open_ticket(alice, subject="Again", body="two", actor=Actor("client"), now=timezone.now())
    bobs = actions.open_ticket(bob, subject="Bob's", body="three", actor=Actor("client"), now=timezone.now())

    staff_web.post(f"/staff/support/{first.pk}/", {"verb": "assign"})
    staff_web.post(
        f"/staff/support/{first.pk}/",
        {"verb": "update", "department": billing_department.pk, "priority": "urgent", "status": "on_hold"},
    )
    first.refresh_from_db()
    assert (first.assignee, first.department, first.priority, first.status) == (
        staff,
        billing_department,
        "urgent",
        "on_hold",
    )

    staff_web.post(f"/staff/support/{duplicate.pk}/", {"verb": "merge", "into": first.pk})
    duplicate.refresh_from_db()
    assert duplicate.merged_into == first and duplicate.status == TicketStatus.CLOSED
    assert [m.body for m in selectors.client_thread(first)] == ["one", "two"]
    # Another client's ticket is never merged in.
    staff_web.post(f"/staff/support/{bobs.pk}/", {"verb": "merge", "into": first.pk})
    assert Ticket.objects.get(pk=bobs.pk).merged_into is None


def test_the_staff_ticket_page_shows_the_clients_services_and_balance(alice, staff_web, alice_vps, technical):
    ticket = actions.open_ticket(
        alice, subject="Q", body="?", service=alice_vps, actor=Actor("client"), now=timezone.now()
    )
    page = staff_web.get(f"/staff/support/{ticket.pk}/").content.decode()
    assert "Balance: 100 USD" in page
    assert f"/staff/provisioning/services/{alice_vps.pk}/" in page


def test_clients_cannot_open_staff_support_pages(alice, alice_web, technical):
    ticket = actions.open_ticket(alice, subject="Q", body="?", actor=Actor("client"), now=timezone.now())
    answer = alice_web.get(f"/staff/support/{ticket.pk}/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_answered_tickets_close_after_the_set_days_once_with_one_notice(alice, technical, settings):
    settings.OPENBILL_SUPPORT_AUTOCLOSE_DAYS = 7
    asked = timezone.now() - timedelta(days=10)
    ticket = actions.open_ticket(alice, subject="Q", body="?", actor=Actor("client"), now=asked)
    actions.staff_reply(ticket, body="Answer", actor=STAFF, now=asked + timedelta(hours=1))
    waiting = actions.open_ticket(alice, subject="Waiting", body="?", actor=Actor("client"), now=asked)
    fresh = actions.open_ticket(alice, subject="Fresh", body="?", actor=Actor("client"), now=asked)
    actions.staff_reply(fresh, body="Answer", actor=STAFF, now=timezone.now() - timedelta(days=6))
    mail.outbox.clear()
    from openbill.support import sweeps

    assert any(f"ticket #{ticket.pk}" in line for line in sweeps.preview(timezone.now()))
    first = sweeps.run(timezone.now())
    second = sweeps.run(timezone.now())

    assert first["closed"] == [ticket.pk] and second["closed"] == []
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED
    assert Ticket.objects.get(pk=waiting.pk).status == TicketStatus.OPEN
    assert Ticket.objects.get(pk=fresh.pk).status == TicketStatus.ANSWERED
    assert [m.subject for m in mail.outbox] == [f"Your ticket #{ticket.pk} was closed"]


def test_an_open_abuse_case_is_not_closed_for_silence(alice, technical, settings):
    from openbill.support import sweeps

    filed = actions.file_abuse_report(
        alice,
        description="spam",
        score=1,
        deadline=timezone.now() + timedelta(days=30),
        action="forward",
        actor=STAFF,
        now=timezone.now() - timedelta(days=20),
    )
    assert sweeps.run(timezone.now())["closed"] == []
    actions.resolve_abuse_report(filed, actor=STAFF, now=timezone.now() - timedelta(days=19))
    assert sweeps.run(timezone.now())["closed"] == [filed.ticket_id]


def test_the_preview_command_lists_what_the_support_sweep_would_do(alice, technical):
    from io import StringIO

    from django.core.management import call_command

    asked = timezone.now() - timedelta(days=30)
    ticket = actions.open_ticket(alice, subject="Old", body="?", actor=Actor("client"), now=asked)
    actions.staff_reply(ticket, body="Answer", actor=STAFF, now=asked)
    out = StringIO()
    call_command("preview", stdout=out)
    assert f"close      ticket #{ticket.pk} of Alice" in out.getvalue()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ANSWERED  # nothing changed


def test_attachments_of_a_refused_message_are_not_kept(alice, technical, settings):
    with pytest.raises(Exception, match="not accepted"):
        actions.open_ticket(
            alice, subject="x", body="x", files=[("page.html", b"<html>")], actor=Actor("client"), now=timezone.now()
        )
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
