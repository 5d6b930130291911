"""Account mail (sign-up confirmation, password reset) sent by the task worker after commit.

The request that triggers one answers without waiting for the mail server, so how long it takes
does not tell whether an address is registered (ASVS 6.3.8: no enumeration by timing).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task


@task()
def send_account_email(subject: str, body: str, to: str) -> str:
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [to])
    return "sent"


def send_after_commit(subject: str, body: str, to: str) -> None:
    transaction.on_commit(lambda: send_account_email.enqueue(subject, body, to))
