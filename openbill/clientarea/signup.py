"""Self sign-up: a user, its client account and the owner membership, confirmed by email.

A new user is created inactive (``is_active=False``): Django's authentication refuses it, so no
login is possible before the email is confirmed. The login form answers as for a wrong password,
unless the password was right: then it says the email waits for confirmation and offers a new
link (clientarea.views_auth.resend_confirmation). The confirmation link carries a signed token (accounts.tokens) whose hash
includes ``is_active``, so it works once; the worker makes it when it sends the mail.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils.http import urlsafe_base64_decode

from openbill.accounts.models import Membership, User
from openbill.accounts.tasks import SIGNUP_CONFIRM, SIGNUP_EXISTS, send_after_commit
from openbill.accounts.tokens import confirmation_tokens
from openbill.clients.models import Client, Provider


def signup_provider() -> Provider | None:
    """The provider new clients sign up with: ``OPENBILL_SIGNUP_PROVIDER`` (its name), the only
    one, or the first created."""
    name = getattr(settings, "OPENBILL_SIGNUP_PROVIDER", "")
    providers = Provider.objects.order_by("id")
    if name:
        return providers.filter(name=name).first()
    return providers.first()


def register_client(
    *,
    provider: Provider,
    name: str,
    email: str,
    password: str,
    language: str,
) -> User | None:
    """Create an inactive user with its client account and send the confirmation link.

    When the email is already registered nothing is created and that address gets a notice
    instead: the caller shows the same page either way (no user enumeration). Both ways hash
    the password once and leave the mail to a task, so the answer takes as long either way.
    Returns the new user, or None.
    """
    existing = None
    try:
        with transaction.atomic():
            existing = User.objects.filter(email__iexact=email).first()
            if existing is not None:
                raise IntegrityError("email taken")
            user = User.objects.create_user(email=email, password=password, is_active=False, language=language)
            client = Client.objects.create(provider=provider, name=name, email=email)
            Membership.objects.create(client=client, user=user, role=Membership.Role.OWNER)
    except IntegrityError:
        make_password(password)  # the cost create_user pays on the other path
        existing = existing or User.objects.filter(email__iexact=email).first()  # lost a race
        if existing is not None:
            send_after_commit(SIGNUP_EXISTS, existing, provider=provider)
        return None
    send_after_commit(SIGNUP_CONFIRM, user, provider=provider)
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
