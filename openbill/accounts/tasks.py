"""Account mail (sign-up confirmation, password reset) sent by the task worker after commit.

The request that triggers one answers without waiting for the mail server, so how long it takes
does not tell whether an address is registered (ASVS 6.3.8: no enumeration by timing).

The task row holds only the kind of mail and the user's id (and, for sign-up, the provider's):
the worker renders the mail and makes the link's token itself. Task rows are readable by staff
(the admin's task results) and kept for days, so a rendered link there would let staff reset a
client's password or confirm an address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from openbill.clients.models import Provider
from openbill.core.urls import absolute_url

from .models import User
from .selectors import client_of
from .tokens import confirmation_tokens

PASSWORD_RESET = "password_reset"
SIGNUP_CONFIRM = "signup_confirm"
SIGNUP_EXISTS = "signup_exists"
KINDS = frozenset({PASSWORD_RESET, SIGNUP_CONFIRM, SIGNUP_EXISTS})


def _context(kind: str, user: User, provider_id: int | None) -> dict[str, Any] | None:
    """What the mail's templates need; None when the mail no longer applies."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    if kind == PASSWORD_RESET:
        if not user.is_active or not user.has_usable_password():
            return None
        token = default_token_generator.make_token(user)
        return {"reset_url": absolute_url(reverse("clientarea:password_reset_confirm", args=[uid, token]))}
    if kind == SIGNUP_CONFIRM:
        client = client_of(user)
        if user.is_active or client is None:  # confirmed meanwhile: the link could not work
            return None
        token = confirmation_tokens.make_token(user)
        return {
            "name": client.name,
            "provider": client.provider,
            "confirm_url": absolute_url(reverse("clientarea:signup_confirm", args=[uid, token])),
        }
    if kind == SIGNUP_EXISTS:
        return {
            "provider": Provider.objects.filter(pk=provider_id).first() if provider_id is not None else None,
            "reset_url": absolute_url(reverse("clientarea:password_reset")),
        }
    raise ValueError(f"unknown account mail {kind!r}")


def render(kind: str, user: User, provider_id: int | None = None) -> tuple[str, str] | None:
    """(subject, body) in the user's saved language; None when the mail no longer applies."""
    context = _context(kind, user, provider_id)
    if context is None:
        return None
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/account/{kind}.subject.txt", context, using="text")
        body = render_to_string(f"emails/account/{kind}.txt", context, using="text")
    return " ".join(subject.split()), body


@task()
def send_account_email(kind: str, user_id: int, provider_id: int | None = None) -> str:
    user = User.objects.filter(pk=user_id).first()
    message = render(kind, user, provider_id) if user is not None else None
    if user is None or message is None:
        return "not sent: no longer applies"
    subject, body = message
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return "sent"


def send_after_commit(kind: str, user: User, *, provider: Provider | None = None) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown account mail {kind!r}")
    user_id, provider_id = user.pk, provider.pk if provider is not None else None
    transaction.on_commit(lambda: send_account_email.enqueue(kind, user_id, provider_id))
