"""Providers and their clients (accounts)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS, Money


class Provider(models.Model):
    """The hosting provider that sells services: its currency and its calendar's time zone."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    signup_enabled = models.BooleanField(_("sign-up open"), default=True)
    support_email = models.EmailField(_("support email"), blank=True)
    bank_details = models.TextField(_("bank transfer details"), blank=True)
    language = models.CharField(
        _("default language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of mail to a client account that has no user yet."),
    )
    require_client_2fa = models.BooleanField(
        _("clients must use two-factor authentication"),
        default=False,
        help_text=_("Every client user enrols an authenticator app after the password before using the account."),
    )

    def __str__(self) -> str:
        return self.name

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class ClientQuerySet(models.QuerySet["Client"]):
    def for_provider(self, provider: Provider) -> ClientQuerySet:
        return self.filter(provider=provider)


class Client(models.Model):
    """A client account: who pays. Its balance is the sum of its ledger (billing.LedgerEntry).

    ``balance_amount`` is a cache of that sum, updated only in the transaction that writes a
    ledger entry (billing.actions.post_entry) and checked by ``openbill audit``.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("contact email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    credit_limit = models.DecimalField(
        _("credit limit"),
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    balance_amount = models.DecimalField(
        _("balance"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal(0), editable=False
    )
    abuse_score = models.PositiveIntegerField(_("abuse score"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["provider", "email"])]

    def __str__(self) -> str:
        return self.name

    @property
    def currency(self) -> str:
        return self.provider.currency

    @property
    def mail_language(self) -> str:
        """The language the account's mail is written in: its owner's language, the one the owner
        reads the client area in and sets in the Profile (else the provider's default)."""
        owner = self.memberships.filter(role="owner").select_related("user").order_by("pk").first()
        if owner is not None and owner.user.language:
            return owner.user.language
        return self.provider.language or settings.LANGUAGE_CODE

    @property
    def balance(self) -> Money:
        return Money(self.balance_amount, self.currency)

    @property
    def available_amount(self) -> Decimal:
        """What may still be spent: the balance plus the credit limit."""
        return self.balance_amount + self.credit_limit
