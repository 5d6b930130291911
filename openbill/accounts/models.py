"""Users, their membership of a client account, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from openbill.clients.models import Client


class EmailUserManager(UserManager["User"]):
    """Users log in with their email; ``username`` mirrors it for Django's admin and axes."""

    def _create_user_object(self, username: Any, email: Any, password: Any, **extra: Any) -> User:
        email = self.normalize_email(email or username)
        return super()._create_user_object(email, email, password, **extra)  # type: ignore[misc]

    def create_user(self, username: Any = None, email: Any = None, password: Any = None, **extra: Any) -> User:  # type: ignore[override]
        email = self.normalize_email(email or username)
        return super().create_user(email, email, password, **extra)

    def create_superuser(self, username: Any = None, email: Any = None, password: Any = None, **extra: Any) -> User:  # type: ignore[override]
        email = self.normalize_email(email or username)
        return super().create_superuser(email, email, password, **extra)


class User(AbstractUser):
    """A person who logs in: a client's user, or staff of the provider (``is_staff``)."""

    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    email_confirmed = models.BooleanField(_("email confirmed"), default=False)
    # Raised by "log out other sessions": every session's auth hash includes it, so the other
    # sessions stop matching (the current one is re-hashed, see accounts.sessions).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []  # type: ignore[misc]

    objects = EmailUserManager()  # type: ignore[assignment,misc]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username = self.email
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's HMAC of the password hash, plus the session epoch once it was raised
        (epoch 0 keeps the hash Django computes, so no session is lost by this field)."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "openbill.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def client(self) -> Client | None:
        membership = self.memberships.select_related("client__provider").first()
        return membership.client if membership else None


class Membership(models.Model):
    """A user's place in a client account: the owner, or a further user."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        USER = "user", _("User")

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.USER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="membership_unique"),
            # One account per user keeps "the caller's client" unambiguous.
            models.UniqueConstraint(fields=["user"], name="membership_one_client_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.client} ({self.role})"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """An API token. Only its SHA-256 is stored; the token itself is shown once, at creation."""

    PREFIX = "obt_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_prefix=raw[:12], key_hash=_hash_token(raw))
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        return (
            cls.objects.select_related("user")
            .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
