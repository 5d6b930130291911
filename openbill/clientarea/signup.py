"""Self sign-up: a user, its client account and the owner membership, confirmed by email.

A new user is created inactive (``is_active=False``): Django's authentication refuses it, so no
login is possible before the email is confirmed, and the login form answers exactly as for a
wrong password. The confirmation link carries a signed token (Django's token generator with
its own salt) whose hash includes ``is_active``, so it works once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from openbill.accounts.models import Membership, User
from openbill.accounts.tasks import send_after_commit
from openbill.clients.models import Client, Provider


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "openbill.clientarea.signup.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.password}{user.is_active}{user.email_confirmed}{user.email}{timestamp}"


confirmation_tokens = EmailConfirmationTokenGenerator()


def signup_provider() -> Provider | None:
    """The provider new clients sign up with: ``OPENBILL_SIGNUP_PROVIDER`` (its name), the only
    one, or the first created."""
    name = getattr(settings, "OPENBILL_SIGNUP_PROVIDER", "")
    providers = Provider.objects.order_by("id")
    if name:
        return providers.filter(name=name).first()
    return providers.first()


def _send(to: str, template: str, context: dict[str, Any]) -> None:
    """Render now, send from the task worker after commit (accounts.tasks)."""
    subject = render_to_string(f"clientarea/email/{template}.subject.txt", context).strip()
    body = render_to_string(f"clientarea/email/{template}.txt", context)
    send_after_commit(subject, body, to)


def register_client(
    *,
    provider: Provider,
    name: str,
    email: str,
    password: str,
    language: str,
    base_url: str,
) -> User | None:
    """Create an inactive user with its client account and send the confirmation link.

    When the email is already registered nothing is created and that address gets a notice
    instead: the caller shows the same page either way (no user enumeration). Both ways hash
    the password once and leave the mail to a task, so the answer takes as long either way.
    Returns the new user, or None.
    """
    context = {"provider": provider, "name": name, "base_url": base_url}
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise IntegrityError("email taken")
            user = User.objects.create_user(email=email, password=password, is_active=False, language=language)
            client = Client.objects.create(provider=provider, name=name, email=email, language=language)
            Membership.objects.create(client=client, user=user, role=Membership.Role.OWNER)
    except IntegrityError:
        make_password(password)  # the cost create_user pays on the other path
        _send(email, "signup_exists", {**context, "reset_url": base_url + reverse("clientarea:password_reset")})
        return None
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = confirmation_tokens.make_token(user)
    link = base_url + reverse("clientarea:signup_confirm", kwargs={"uidb64": uid, "token": token})
    _send(email, "signup_confirm", {**context, "confirm_url": link})
    return user


def user_of_link(uidb64: str, token: str) -> User | None:
    """The user a valid, unused confirmation link was made for; None otherwise. Changes nothing."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None or not confirmation_tokens.check_token(user, token):
        return None
    return user


def confirm_email(uidb64: str, token: str) -> User | None:
    """Activate the user the link was made for; None when the link is invalid, used or expired."""
    user = user_of_link(uidb64, token)
    if user is None:
        return None
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_active=False).update(is_active=True, email_confirmed=True)
    if not updated:
        return None
    user.refresh_from_db()
    return user
