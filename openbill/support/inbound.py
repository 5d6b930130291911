"""Replies by email: a raw RFC 5322 message becomes a client reply on its ticket.

The ticket is found by the ``ref:<token>`` in the subject, else by the ``In-Reply-To`` /
``References`` of a mail Openbill sent about it. Only the ticket's client (the account's contact
address or one of its users' addresses) may reply this way: anything else is ignored and opens
nothing. The quoted part of the reply is dropped; attachments go through the same checks as the
client area's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from openbill.accounts.models import User
from openbill.core.actors import Actor
from openbill.core.errors import DomainError

from . import actions
from .models import Ticket

REF = re.compile(r"ref:([0-9a-f]{12})")
MESSAGE_ID = re.compile(r"<support\.([0-9a-f]{12})\.\d+@openbill>")
# Where a quoted original starts: "On … wrote:", "El … escribió:", a quote mark, an Outlook header.
QUOTE_START = re.compile(
    r"^(>|On .+ wrote:\s*$|El .+ escribió:\s*$|-----\s*Original Message\s*-----|From: )", re.IGNORECASE
)


@dataclass(frozen=True)
class Outcome:
    result: str  # "posted" or "ignored"
    ticket_id: int | None = None
    reason: str = ""


def find_ticket(message: EmailMessage) -> Ticket | None:
    tokens = REF.findall(str(message.get("Subject", "")))
    for header in ("In-Reply-To", "References"):
        tokens += MESSAGE_ID.findall(str(message.get(header, "")))
    for token in tokens:
        ticket = Ticket.objects.select_related("client").filter(token=token).first()
        if ticket is not None:
            return ticket.merged_into if ticket.merged_into_id else ticket
    return None


def sender_user(ticket: Ticket, address: str) -> User | None:
    """The client's user who wrote, or None when the address is not the client's."""
    address = address.strip().lower()
    if not address:
        return None
    user = User.objects.filter(email__iexact=address, memberships__client=ticket.client).first()
    if user is not None:
        return user
    if ticket.client.email.lower() == address:
        return User.objects.filter(memberships__client=ticket.client).order_by("pk").first()
    return None


def reply_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if QUOTE_START.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append((part.get_filename() or "attachment", payload))
    return found


def process(raw: bytes, *, now: datetime) -> Outcome:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    ticket = find_ticket(message)
    if ticket is None:
        return Outcome("ignored", reason="no ticket")
    _name, address = parseaddr(str(message.get("From", "")))
    user = sender_user(ticket, address)
    if user is None:
        return Outcome("ignored", ticket.pk, reason="not the ticket's client")
    body = reply_text(message)
    try:
        actions.client_reply(ticket, body=body, files=attachments(message), actor=Actor.of_user(user), now=now)
    except DomainError as exc:
        return Outcome("ignored", ticket.pk, reason=exc.message)
    return Outcome("posted", ticket.pk)
