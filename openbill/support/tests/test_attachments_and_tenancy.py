"""Attachments (allowed types, limits, downloads) and one client never reaching another's
tickets or files, in the client area, the API and the attachment URLs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.support import actions
from openbill.support.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_an_attachment_round_trip_is_a_download_with_the_exact_bytes(alice, alice_web, staff_web, technical):
    answer = alice_web.post(
        "/support/new/",
        {
            "subject": "Screenshot",
            "department": technical.pk,
            "body": "See the picture",
            "attachments": [upload("screen.png", PNG, "image/png"), upload("boot.log", b"kernel: ok\n")],
        },
    )
    assert answer.status_code == 302
    png, log = Attachment.objects.order_by("id")
    assert (png.name, png.content_type, png.size) == ("screen.png", "image/png", len(PNG))
    assert "screen" not in png.file.name  # stored under a random name

    thread = alice_web.get(f"/support/{png.message.ticket_id}/").content.decode()
    assert f"/support/attachments/{png.pk}/" in thread
    download = alice_web.get(f"/support/attachments/{png.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    staff_copy = staff_web.get(f"/staff/support/attachments/{log.pk}/")
    assert b"".join(staff_copy.streaming_content) == b"kernel: ok\n"


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "not accepted"),
        ("run.exe", b"MZ\x90\x00", "not accepted"),
        ("logo.svg", b"<svg onload=alert(1)>", "not accepted"),
        ("fake.png", b"<html>not a png</html>", "not accepted"),
        ("notes.txt", b"<!DOCTYPE html><html></html>", "not accepted"),
        ("binary.txt", b"\x00\x01\x02", "not accepted"),
        ("empty.pdf", b"", "is empty"),
        ("noext", b"hello", "not accepted"),
    ],
)
def test_a_forbidden_or_empty_file_is_refused_and_nothing_is_saved(alice, alice_web, technical, name, content, why):
    answer = alice_web.post(
        "/support/new/",
        {
            "subject": "x",
            "department": technical.pk,
            "body": "x",
            "attachments": [upload("ok.pdf", PDF), upload(name, content)],
        },
    )
    assert answer.status_code == 400
    assert why in answer.content.decode()
    assert not Ticket.objects.exists() and not Message.objects.exists() and not Attachment.objects.exists()


def test_files_over_the_size_or_count_limit_are_refused(alice, alice_web, technical, settings):
    settings.OPENBILL_SUPPORT_MAX_FILE_BYTES = 1024 * 1024
    big = upload("big.log", b"a" * (1024 * 1024 + 1))
    answer = alice_web.post(
        "/support/new/", {"subject": "x", "department": technical.pk, "body": "x", "attachments": [big]}
    )
    assert answer.status_code == 400 and "larger than 1 MB" in answer.content.decode()

    six = [upload(f"f{i}.txt", b"x") for i in range(6)]
    answer = alice_web.post(
        "/support/new/", {"subject": "x", "department": technical.pk, "body": "x", "attachments": six}
    )
    assert answer.status_code == 400 and "At most 5 files" in answer.content.decode()
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


@pytest.fixture
def alices_ticket(alice: Any, technical: Any) -> Ticket:
    ticket = actions.open_ticket(
        alice, subject="Private", body="mine", files=[("a.pdf", PDF)], actor=Actor("client"), now=timezone.now()
    )
    actions.add_note(ticket, body="note", files=[("n.pdf", PDF)], actor=Actor("staff"), now=timezone.now())
    return ticket


def test_another_clients_ticket_and_attachment_are_404_everywhere(bob_web, bob_user, alices_ticket):
    from openbill.api.tests.conftest import token_client

    attachment = Attachment.objects.filter(message__internal=False).get()
    bob_api = token_client(bob_user)
    assert bob_web.get(f"/support/{alices_ticket.pk}/").status_code == 404
    assert bob_web.post(f"/support/{alices_ticket.pk}/", {"body": "hi"}).status_code == 404
    assert bob_web.post(f"/support/{alices_ticket.pk}/close/").status_code == 404
    assert bob_web.get(f"/support/attachments/{attachment.pk}/").status_code == 404
    assert bob_api.get(f"/api/v1/tickets/{alices_ticket.pk}/").status_code == 404
    assert bob_api.post(f"/api/v1/tickets/{alices_ticket.pk}/reply/", {"body": "hi"}, format="json").status_code == 404
    assert bob_api.post(f"/api/v1/tickets/{alices_ticket.pk}/close/").status_code == 404
    assert bob_api.get(f"/api/v1/tickets/attachments/{attachment.pk}/").status_code == 404
    assert bob_api.get("/api/v1/tickets/").json()["results"] == []
    assert Message.objects.filter(ticket=alices_ticket).count() == 2
    assert Ticket.objects.get().status == "open"


def test_an_internal_notes_attachment_is_404_for_the_client(alice_web, alice_user, alices_ticket):
    from openbill.api.tests.conftest import token_client

    note_file = Attachment.objects.get(message__internal=True)
    assert alice_web.get(f"/support/attachments/{note_file.pk}/").status_code == 404
    assert token_client(alice_user).get(f"/api/v1/tickets/attachments/{note_file.pk}/").status_code == 404
