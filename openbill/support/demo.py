"""Demo support: departments, alice's questions in every status (one with a staff-only note),
one of bob's, and an abuse report against alice whose deadline passed (her "Panel licence" is
suspended for it). Rows are written directly, with times in the past, so no mail goes out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from openbill.clients.models import Client
from openbill.core.texts import Text
from openbill.core.texts import fields as text_fields
from openbill.services.models import Service

from .models import AbuseAction, AbuseReport, AuthorKind, Department, Message, Priority, SupportSettings, Ticket

SPAM_REPORT = "We received complaints that the licence key of your panel is being resold on a public forum."


def extend(demo: Any) -> None:
    provider = demo.provider
    now: datetime = demo.now
    tz = provider.tz
    SupportSettings.objects.create(provider=provider, abuse_limit=100)
    technical = Department.objects.create(provider=provider, name="Technical", position=1)
    billing = Department.objects.create(provider=provider, name="Billing", position=2)
    abuse = Department.objects.create(provider=provider, name="Abuse", is_abuse=True, position=3)
    alice = Client.objects.get(provider=provider, email="alice@demo.test")
    bob = Client.objects.get(provider=provider, email="bob@demo.test")
    web = Service.objects.filter(client=alice, name="Web server").first()
    blog = Service.objects.filter(client=alice, name="Old blog").first()
    licence = Service.objects.filter(client=alice, name="Panel licence").first()

    def ticket(
        client: Client,
        subject: str | Text,
        department: Department,
        thread: list[tuple[str, str | Text, float]],
        **kw: Any,
    ) -> Ticket:
        """``thread``: (author kind, body, hours ago); "note" is a staff-only note. What the
        system writes (an abuse report's subject and message) is a fact, read in either language."""
        first_at = now - timedelta(hours=thread[0][2])
        last_at = now - timedelta(hours=thread[-1][2])
        title = text_fields("subject", subject, tz) if isinstance(subject, Text) else {"subject": subject}
        item = Ticket.objects.create(
            client=client, department=department, created_at=first_at, last_message_at=last_at, **title, **kw
        )
        for kind, body, hours in thread:
            words = text_fields("body", body, tz) if isinstance(body, Text) else {"body": body}
            Message.objects.create(
                ticket=item,
                author_kind=AuthorKind.STAFF if kind in ("staff", "note") else AuthorKind.CLIENT,
                author=client.memberships.first().user if kind == "client" else None,  # type: ignore[union-attr]
                **words,
                internal=kind == "note",
                created_at=now - timedelta(hours=hours),
            )
        return item

    ticket(
        alice,
        "The disk of my web server is almost full",
        technical,
        [
            ("client", "df says 95% used. Can you add space?", 30),
            ("staff", "Add more disk with Edit → Disk; it applies at once.", 4),
        ],
        service=web,
        status="answered",
        answered_at=now - timedelta(hours=4),
    )
    ticket(
        alice,
        "How do I point my domain at the hosting?",
        technical,
        [("client", "Which name servers should I use?", 2)],
        status="open",
        waiting_since=now - timedelta(hours=2),
        client_read_at=now - timedelta(hours=2),
    )
    ticket(
        alice,
        "A question about my last top-up",
        billing,
        [
            ("client", "I paid by bank transfer on Monday.", 50),
            ("staff", "It has not arrived yet; transfers take up to 3 days.", 40),
            ("client", "It left my bank, here is the reference: 4711.", 1),
        ],
        status="customer_reply",
        answered_at=now - timedelta(hours=40),
        waiting_since=now - timedelta(hours=1),
        client_read_at=now - timedelta(hours=1),
    )
    ticket(
        alice,
        "Move the old blog to the new server",
        technical,
        [
            ("client", "Could you move the blog for me?", 100),
            ("note", "Needs the migration team; they are back on Monday.", 99),
            ("staff", "We will do it next week and write here when it starts.", 98),
        ],
        service=blog,
        status="on_hold",
        answered_at=now - timedelta(hours=98),
        client_read_at=now - timedelta(hours=97),
    )
    ticket(
        alice,
        "Reset of the control panel password",
        technical,
        [("client", "I forgot the panel password.", 300), ("staff", "We sent a reset link to your email.", 299)],
        status="closed",
        answered_at=now - timedelta(hours=299),
        client_read_at=now - timedelta(hours=298),
        closed_at=now - timedelta(hours=100),
    )
    ticket(
        bob,
        "Reverse DNS for my server",
        technical,
        [("client", "Please set the PTR of my server to srv.bob.test.", 6)],
        status="open",
        waiting_since=now - timedelta(hours=6),
        client_read_at=now - timedelta(hours=6),
        priority=Priority.LOW,
    )
    if licence is not None:
        case = ticket(
            alice,
            Text("abuse_subject_service", service=licence.name),
            abuse,
            [("staff", Text("abuse_report", description=SPAM_REPORT, deadline=now - timedelta(days=7)), 240)],
            service=licence,
            status="answered",
            priority=Priority.HIGH,
            answered_at=now - timedelta(hours=240),
        )
        AbuseReport.objects.create(
            client=alice,
            service=licence,
            description=SPAM_REPORT,
            score=30,
            deadline=now - timedelta(days=7),
            action=AbuseAction.SUSPEND_SERVICE,
            ticket=case,
            created_at=now - timedelta(days=10),
            deadline_done_at=now - timedelta(days=7),
        )
        Client.objects.filter(pk=alice.pk).update(abuse_score=30)
