"""Replies by email: threaded by the reference in the subject or In-Reply-To, quoted text
dropped, attachments kept; mail from anyone but the ticket's client opens nothing."""

from __future__ import annotations

import subprocess
import sys
from email.message import EmailMessage
from io import BytesIO, TextIOWrapper

import pytest
from django.core.management import call_command
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.support import actions
from openbill.support.inbound import process
from openbill.support.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def reply_mail(
    *, sender: str, subject: str, body: str, in_reply_to: str = "", attachment: bytes | None = None
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Someone <{sender}>"
    message["To"] = "support@provider.test"
    message["Subject"] = subject
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="text", subtype="plain", filename="trace.log")
    return message.as_bytes()


@pytest.fixture
def answered(alice, technical):
    ticket = actions.open_ticket(alice, subject="Mail", body="?", actor=Actor("client"), now=timezone.now())
    actions.staff_reply(ticket, body="Try a reboot", actor=Actor("staff"), now=timezone.now())
    return ticket


def test_an_emailed_reply_is_posted_to_its_ticket_without_the_quoted_part(answered):
    raw = reply_mail(
        sender="alice@test.test",
        subject=f"Re: New answer {answered.mail_subject}",
        body="It worked, thanks!\n\nOn Mon, 1 Dec 2026 Support wrote:\n> Try a reboot\n",
        attachment=b"all good\n",
    )

    outcome = process(raw, now=timezone.now())

    assert (outcome.result, outcome.ticket_id) == ("posted", answered.pk)
    last = Message.objects.filter(ticket=answered).last()
    assert last.body == "It worked, thanks!" and last.author_kind == "client"
    assert [(a.name, a.file.read()) for a in last.attachments.all()] == [("trace.log", b"all good\n")]
    assert Ticket.objects.get(pk=answered.pk).status == TicketStatus.CUSTOMER_REPLY


def test_a_reply_is_found_by_in_reply_to_when_the_subject_lost_the_reference(answered):
    staff_message = Message.objects.filter(ticket=answered, author_kind="staff").get()
    from openbill.support.tasks import message_id_header

    raw = reply_mail(
        sender="ALICE@test.test", subject="Re: hello", body="Thanks", in_reply_to=message_id_header(staff_message)
    )
    assert process(raw, now=timezone.now()).result == "posted"


def test_mail_from_a_stranger_opens_nothing(answered, bob):
    before = Message.objects.count()
    for sender in ("mallory@evil.test", "bob@test.test"):
        raw = reply_mail(sender=sender, subject=f"Re: {answered.mail_subject}", body="let me in")
        outcome = process(raw, now=timezone.now())
        assert outcome.result == "ignored"
    assert (
        process(reply_mail(sender="alice@test.test", subject="no reference", body="x"), now=timezone.now()).result
        == "ignored"
    )
    assert Message.objects.count() == before
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().status == TicketStatus.ANSWERED


def test_the_command_reads_a_message_on_standard_input(answered, monkeypatch, capsys):
    raw = reply_mail(sender="alice@test.test", subject=f"Re: {answered.mail_subject}", body="From stdin")
    monkeypatch.setattr(sys, "stdin", TextIOWrapper(BytesIO(raw)))
    call_command("support-inbound")
    assert "posted to ticket" in capsys.readouterr().out
    assert Message.objects.filter(ticket=answered).last().body == "From stdin"


def test_the_command_is_on_the_openbill_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "openbill.cli", "help", "support-inbound"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "standard input" in result.stdout
