"""Support in a real browser: alice asks about her server with a screenshot attached, staff
find it in the queue, add an internal note and answer; the worker sends the mail; alice reads
the answer (never the note), replies, and downloads her attachment. Then a forbidden file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page, expect

from openbill.core.tests import factories as f
from openbill.core.worker import OpenbillWorker
from openbill.support.models import Department, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def run_worker() -> None:
    OpenbillWorker(batch=True, schedule=False, interval=0).run()


def log_in(page: Page, live_server: Any, email: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_alice_asks_staff_answer_in_the_queue_and_alice_reads_it(
    live_server: Any,
    page: Page,
    browser: Any,
    alice: Any,
    alice_user: Any,
    staff: Any,
    vps_plan: Any,
    provider: Any,
    tmp_path: Path,
) -> None:
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    Department.objects.create(provider=provider, name="Technical", email="tech@provider.test")
    web = f.service(alice, vps_plan, name="Web server")
    screenshot = tmp_path / "screen.png"
    screenshot.write_bytes(PNG)

    log_in(page, live_server, alice_user.email)
    page.goto(f"{live_server.url}/services/{web.pk}/")
    page.get_by_role("link", name="Ask a question").click()
    expect(page.get_by_label("Subject")).to_have_value("Question about Web server")
    page.get_by_label("Message").fill("The server is slow since this morning.")
    page.get_by_label("Attachments").set_input_files(str(screenshot))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your question was sent.")).to_be_visible()
    ticket = Ticket.objects.get()

    # Staff: the queue, the ticket, a note, then the answer.
    staff_page = browser.new_page()
    log_in(staff_page, live_server, staff.email)
    staff_page.goto(f"{live_server.url}/staff/support/")
    staff_page.get_by_role("link", name="Question about Web server").click()
    expect(staff_page.get_by_text("The server is slow since this morning.")).to_be_visible()
    staff_page.get_by_label("Message").fill("Noisy neighbour on node 3; moving it.")
    staff_page.get_by_role("button", name="Add an internal note (staff only)").click()
    staff_page.get_by_label("Message").fill("We moved your server to a quieter host.")
    staff_page.get_by_role("button", name="Send the reply to the client").click()
    expect(staff_page.get_by_text("The reply was sent.")).to_be_visible()
    staff_page.close()
    run_worker()
    assert {tuple(m.to) for m in mail.outbox} == {("tech@provider.test",), ("alice@test.test",)}

    # Alice: the dashboard says an answer waits; the thread shows it, not the note.
    page.goto(f"{live_server.url}/")
    page.get_by_test_id("open-questions").get_by_role("link", name="Question about Web server").click()
    expect(page.get_by_text("We moved your server to a quieter host.")).to_be_visible()
    expect(page.get_by_text("Noisy neighbour")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="screen.png").click()
    assert Path(download.value.path()).read_bytes() == PNG
    page.get_by_label("Message").fill("Much better, thanks.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Customer reply")

    # A page disguised as a picture is refused, with the reason, and nothing is posted.
    disguised = tmp_path / "cat.png"
    disguised.write_bytes(b"<html><script>alert(1)</script></html>")
    page.get_by_label("Message").fill("one more")
    page.get_by_label("Attachments").set_input_files(str(disguised))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("cat.png: this type of file is not accepted")).to_be_visible()
    assert ticket.messages.count() == 4  # question, note, answer, reply
