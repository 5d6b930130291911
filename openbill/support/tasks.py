"""Support mail, sent by the worker after commit. Tasks take a message id, never its text.

To the client: each staff reply, in the client's language, with the reply and a link.
To staff: new tickets and client replies, to the department's address (else the provider's
support address). Internal notes are never mailed (they are not even looked up here).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from openbill.core.urls import absolute_url

from .models import AuthorKind, Message


def message_id_header(message: Message) -> str:
    """The Message-ID of a mail about ``message``: an emailed answer quotes it in In-Reply-To."""
    return f"<support.{message.ticket.token}.{message.pk}@openbill>"


def _send(message: Message, *, to: list[str], template: str, language: str) -> str:
    ticket = message.ticket
    context = {
        "ticket": ticket,
        "message": message,
        "provider_name": ticket.client.provider.name,
        "client_name": ticket.client.name,
    }
    with translation.override(language):
        context["url"] = absolute_url(
            reverse(
                "clientarea:support_ticket" if template == "support_reply" else "staff:support_ticket",
                kwargs={"pk": ticket.pk},
            )
        )
        subject = " ".join(render_to_string(f"emails/{template}.subject.txt", context, using="text").split())
        body = render_to_string(f"emails/{template}.txt", context, using="text")
    mail = EmailMessage(
        subject=f"{subject} {ticket.mail_subject}".strip(),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Message-ID": message_id_header(message)},
    )
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.name, handle.read(), attachment.content_type)
    mail.send()
    Message.objects.filter(pk=message.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return "sent"


def _public(message_id: int) -> Message | None:
    return (
        Message.objects.filter(pk=message_id, internal=False, emailed_at__isnull=True)
        .select_related("ticket__client__provider", "ticket__department")
        .first()
    )


@task()
def mail_client(message_id: int) -> str:
    message = _public(message_id)
    if message is None or message.author_kind == AuthorKind.CLIENT:
        return "nothing to send"
    client = message.ticket.client
    return _send(
        message, to=[client.email], template="support_reply", language=client.mail_language
    )


@task()
def mail_staff(message_id: int) -> str:
    message = _public(message_id)
    if message is None or message.author_kind != AuthorKind.CLIENT:
        return "nothing to send"
    ticket = message.ticket
    address = ticket.department.email or ticket.client.provider.support_email
    if not address:
        return "no staff address"
    return _send(message, to=[address], template="support_staff", language=settings.LANGUAGE_CODE)
