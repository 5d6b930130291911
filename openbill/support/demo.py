"""Demo support: departments, alice's questions in every status (one with a staff-only note),
one of bob's, and an abuse report against alice whose deadline passed (her "Panel licence" is
suspended for it). Rows are written directly, with times in the past, so no mail goes out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from openbill.clients.models import Client
from openbill.services.models import Service

from .models import AbuseAction, AbuseReport, AuthorKind, Department, Message, Priority, SupportSettings, Ticket

SPAM_REPORT = (
    "We received complaints that the licence key of your panel is being resold on a public forum. "
    "Please stop it and reply to this ticket."
)


def extend(demo: Any) -> None:
    provider = demo.provider
    now: datetime = demo.now
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
        client: Client, subject: str, department: Department, thread: list[tuple[str, str, float]], **kw: Any
    ) -> Ticket:
        """``thread``: (author kind, body, hours ago); "note" is a staff-only note."""
        first_at = now - timedelta(hours=thread[0][2])
        last_at = now - timedelta(hours=thread[-1][2])
        item = Ticket.objects.create(
            client=client, department=department, subject=subject, created_at=first_at, last_message_at=last_at, **kw
        )
        for kind, body, hours in thread:
            Message.objects.create(
                ticket=item,
                author_kind=AuthorKind.STAFF if kind in ("staff", "note") else AuthorKind.CLIENT,
                author=client.memberships.first().user if kind == "client" else None,  # type: ignore[union-attr]
                body=body,
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
            f"Abuse report: {licence.name}",
            abuse,
            [("staff", SPAM_REPORT + "\n\nPlease correct this by the deadline and reply to this ticket.", 240)],
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
