"""Users, their membership of a client account, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from .session_store import SessionStore

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


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp devices: no related_name
    """A person who logs in: a client's user, or staff of the provider (``is_staff``)."""

    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    email_confirmed = models.BooleanField(_("email confirmed"), default=False)
    # Raised by "log out other sessions": every session's auth hash includes it, so the other
    # sessions stop matching (the current one is re-hashed, see accounts.sessions).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    login_notices = models.BooleanField(
        _("email a notice on a login from a new address"),
        default=True,
        help_text=_("A mail to the account's contact email when this user logs in from an address not seen before."),
    )

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
    # A token carries no more than the credential that made it: set only when a staff session
    # that had entered its two-factor code (or a token so marked) created it. The staff API
    # takes only marked tokens while OPENBILL_STAFF_2FA is on (openbill.api.permissions).
    two_factor_verified = models.BooleanField(_("made after two-factor authentication"), default=False, editable=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str, *, two_factor_verified: bool = False) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_prefix=raw[:12],
            key_hash=_hash_token(raw),
            two_factor_verified=two_factor_verified,
        )
        return token, raw

    @classmethod
    def revoke_all(cls, user: User) -> int:
        """Revoke every live token of ``user`` (a password reset, or a change that asks for it);
        the number revoked. Rows stay, so that "who used which token" can still be answered."""
        return cls.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        return (
            cls.objects.select_related("user")
            .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )


class RecoveryCodes(Device):
    """A staff user's one-time recovery codes, for when the authenticator app is lost.

    A django-otp device, so a session verified by a recovery code counts as verified; only the
    SHA-256 of each code is stored (codes carry 40 random bits, and wrong codes are limited), and a code works once.
    """

    COUNT = 10

    class Meta:
        verbose_name = _("recovery codes")

    def issue(self) -> list[str]:
        """Replace the codes with new ones and return them (the only time they are shown)."""
        codes = [f"{raw[:5]}-{raw[5:]}" for raw in (secrets.token_hex(5) for _ in range(self.COUNT))]
        self.codes.all().delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(device=self, code_hash=_hash_code(code)) for code in codes)
        return codes

    def verify_token(self, token: Any) -> bool:
        # Compare-and-set on used_at: two requests with one code cannot both succeed.
        return bool(
            RecoveryCode.objects.filter(device=self, code_hash=_hash_code(str(token)), used_at__isnull=True).update(
                used_at=timezone.now()
            )
        )

    @property
    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace(" ", "").encode()).hexdigest()


class RecoveryCode(models.Model):
    """One recovery code, hashed; ``used_at`` once it was used."""

    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"recovery code of {self.device.user} ({'used' if self.used_at else 'unused'})"


class UserSession(AbstractBaseSession):
    """A browser's session: Django's database session plus whose it is, from where and with what.

    The extra columns are copied from the session's own data on every save
    (accounts.session_store.SessionStore), so the Profile can list a user's sessions, and "log out
    this one" is deleting the row: the next request with that cookie finds no session.
    """

    # No database constraint: a session row is written from its data, which may name a user
    # deleted in the meantime; deleting a user still deletes its sessions (CASCADE in Django).
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="sessions"
    )
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    logged_in_at = models.DateTimeField(_("logged in"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls) -> Any:
        return SessionStore


class LoginAddress(models.Model):
    """An address a user has logged in from. A login from one not seen before (when the user
    has logged in before) sends the account a notice, once per address."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_addresses")
    address = models.GenericIPAddressField(_("address"))
    first_seen_at = models.DateTimeField(_("first seen"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "address"], name="login_address_unique")]

    def __str__(self) -> str:
        return f"{self.user} from {self.address}"
