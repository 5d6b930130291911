"""Email notices to clients: recorded once under a key, sent by a task after commit.

Templates live in ``templates/emails/<name>.subject.txt`` and ``<name>.txt`` and are
rendered in the client's language, as plain text (the "text" template engine: no HTML
escaping). ``context`` must be JSON values (it is stored); nothing secret belongs in it. Sums
of money go in as ``money.money_value(amount, currency)`` and stored texts as
``texts.in_context(Text(...))``; both are worded in the client's language when the mail is written.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from .models import Notice
from .money import words_for_money_values
from .texts import render_context

log = logging.getLogger(__name__)


def notify(client: Any, template: str, *, key: str, now: datetime, context: dict[str, Any] | None = None) -> bool:
    """Record the notice and queue its sending; False when a notice with ``key`` exists."""
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                key=key, client=client, template=template, context=context or {}, created_at=now
            )
            send_notice.enqueue(notice.pk)
    except IntegrityError:
        return False
    return True


def render(notice: Notice) -> tuple[str, str]:
    client = notice.client
    language = client.mail_language
    with translation.override(language):
        context = {
            **render_context(words_for_money_values(notice.context, language)),
            "client_name": client.name,
            "provider_name": client.provider.name,
        }
        subject = render_to_string(f"emails/{notice.template}.subject.txt", context, using="text").strip()
        body = render_to_string(f"emails/{notice.template}.txt", context, using="text")
    return " ".join(subject.split()), body


@task()
def send_notice(notice_id: int) -> str:
    notice = Notice.objects.select_related("client__provider").get(pk=notice_id)
    if notice.sent_at is not None:
        return "already sent"
    subject, body = render(notice)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notice.client.email])
    Notice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    return "sent"
