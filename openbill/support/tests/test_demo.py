"""The demo's support data: tickets in every status, and a client under an abuse report."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from openbill.support.models import AbuseReport, Message, Ticket, TicketStatus


@pytest.mark.django_db
def test_the_demo_has_tickets_in_every_status_and_an_abuse_case():
    call_command("demo", stdout=StringIO())

    alice_tickets = Ticket.objects.filter(client__email="alice@demo.test")
    assert {t.status for t in alice_tickets} == set(TicketStatus.values)
    assert Message.objects.filter(ticket__client__email="alice@demo.test", internal=True).exists()
    report = AbuseReport.objects.get()
    assert report.is_open and report.client.abuse_score == 30 and report.service.suspended_for_abuse

    web = HttpClient()
    assert web.post("/login/", {"username": "alice@demo.test", "password": "demo"}).status_code == 302
    page = web.get("/support/").content.decode()
    assert "The disk of my web server is almost full" in page and "New answer" in page
    assert "Reverse DNS" not in page  # bob's
    service_page = web.get(f"/services/{report.service_id}/").content.decode()
    assert f"/support/{report.ticket_id}/" in service_page
    thread = web.get(f"/support/{Ticket.objects.get(status='on_hold').pk}/").content.decode()
    assert "migration team" not in thread  # the staff-only note
