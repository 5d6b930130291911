"""Domains: the zones (TLDs) a provider sells, their prices per action and number of years,
the clients' domain contacts, and what Openbill keeps of each domain service.

A domain is a service whose product type is of kind *domain*, ordered under its zone's tariff
plan. Names are kept in ASCII (punycode, IDNA 2008 with UTS #46 mapping) and shown in Unicode;
the service's name is the Unicode form. The zone's tariff plan carries the *renewal* prices
(the renewal sweep charges them); the first order is charged the zone's *register* or
*transfer* price.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .names import to_unicode, zone_ascii

MAX_YEARS = 10


class Availability(models.TextChoices):
    EPP = "epp", _("Registrar's EPP check")
    RDAP = "rdap", _("RDAP")
    WHOIS = "whois", _("WHOIS")


class Charset(models.TextChoices):
    LATIN = "latin", _("Latin letters, digits and hyphens")
    IDN = "idn", _("Latin and internationalised (IDN) names")


class Zone(models.Model):
    """A top-level (or second-level, "co.uk") zone the provider sells names in."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(
        _("zone"),
        max_length=63,
        help_text=_("Without the leading dot, e.g. com or co.uk; IDN zones in Unicode or punycode."),
    )
    tariff = models.OneToOneField(
        "catalog.TariffPlan",
        on_delete=models.PROTECT,
        related_name="zone",
        help_text=_(
            "The domain tariff plan services of this zone are ordered under; its prices are the renewal prices."
        ),
    )
    module = models.ForeignKey(
        "provisioning.ProcessingModule",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="zones",
        verbose_name=_("registrar module"),
    )
    availability = models.CharField(
        _("availability source"), max_length=8, choices=Availability.choices, default=Availability.EPP
    )
    rdap_url = models.URLField(_("RDAP base URL"), blank=True, help_text=_("e.g. https://rdap.verisign.com/com/v1/"))
    whois_server = models.CharField(_("WHOIS server"), max_length=255, blank=True)
    whois_not_found = models.CharField(
        _("WHOIS 'not found' text"),
        max_length=200,
        blank=True,
        help_text=_("Text in the WHOIS answer that means the name is free, e.g. No match for"),
    )
    timeout = models.PositiveSmallIntegerField(
        _("timeout (seconds)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    auth_code_required = models.BooleanField(_("auth code required for transfer"), default=True)
    verification_required = models.BooleanField(_("document verification"), default=False)
    verification_email = models.EmailField(
        _("registrar's address for documents"),
        blank=True,
        help_text=_("Verify sends the client's documents here (zones with document verification)."),
    )
    charset = models.CharField(_("character set"), max_length=8, choices=Charset.choices, default=Charset.LATIN)
    active = models.BooleanField(_("on sale"), default=True)
    # After expiry (RFC 3915): renewable at the renewal price for grace_days; then deleted at the
    # registry and restorable for redemption_days at restore_price + one year's renewal; then gone.
    grace_days = models.PositiveSmallIntegerField(
        _("auto-renew grace days"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_("Days after expiry during which the domain is still renewed at the renewal price."),
    )
    redemption_days = models.PositiveSmallIntegerField(
        _("redemption days"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_("Days after the grace period during which a deleted domain can be restored."),
    )
    restore_price = models.DecimalField(
        _("restore price"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Charged with one year's renewal to restore a domain in redemption; empty: no restore."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="zone_name_unique")]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return "." + to_unicode(self.name)

    def save(self, *args: object, **kwargs: object) -> None:
        self.name = zone_ascii(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Action(models.TextChoices):
    REGISTER = "register", _("Registration")
    TRANSFER = "transfer", _("Transfer")
    RENEW = "renew", _("Renewal")


class ZonePrice(models.Model):
    """The price of one action for a number of years in a zone."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="prices")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    years = models.PositiveSmallIntegerField(
        _("years"), validators=[MinValueValidator(1), MaxValueValidator(MAX_YEARS)]
    )
    amount = models.DecimalField(
        _("price"), max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["zone", "action", "years"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "action", "years"], name="zone_price_unique"),
            models.CheckConstraint(condition=Q(years__gte=1) & Q(years__lte=MAX_YEARS), name="zone_price_years_1_10"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="zone_price_not_negative"),
        ]
        verbose_name = _("zone price")
        verbose_name_plural = _("zone prices")

    def __str__(self) -> str:
        return f"{self.zone} {self.action} {self.years}: {self.amount}"


class ContactKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


E164 = RegexValidator(r"^\+[1-9]\d{0,2}\.\d{4,14}$", _("Write the phone as +CC.NUMBER, e.g. +34.911234567."))


class DomainContact(models.Model):
    """One of a client's registrant contacts (owner, administrative, technical, billing)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="domain_contacts")
    kind = models.CharField(_("kind"), max_length=12, choices=ContactKind.choices, default=ContactKind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters (ISO 3166), e.g. ES."))],
    )
    phone = models.CharField(_("phone"), max_length=20, validators=[E164])
    email = models.EmailField(_("email"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("domain contact")
        verbose_name_plural = _("domain contacts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="organisation") | ~Q(organisation=""), name="domain_contact_organisation_named"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name

    @property
    def handle(self) -> str:
        """The contact's id at registries (EPP contact ids are 3–16 characters)."""
        return f"OB{self.pk}"

    def registry_data(self) -> dict[str, str]:
        return {
            "handle": self.handle,
            "name": self.name,
            "org": self.organisation,
            "street": self.street,
            "city": self.city,
            "region": self.region,
            "postcode": self.postcode,
            "country": self.country,
            "phone": self.phone,
            "email": self.email,
        }


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrative")
    TECH = "tech", _("Technical")
    BILLING = "billing", _("Billing")


class Verification(models.TextChoices):
    NOT_REQUIRED = "", _("Not required")
    REQUIRED = "required", _("Verification required")
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class TransferState(models.TextChoices):
    NONE = "", _("No transfer under way")
    PENDING = "pending", _("Transfer pending at the registry")
    DONE = "done", _("Transferred")
    REJECTED = "rejected", _("Transfer rejected")


class Phase(models.TextChoices):
    """Where an expired domain stands at the registry (RFC 3915)."""

    NONE = "", _("Registered")
    GRACE = "grace", _("Expired, in the renewal grace period")
    REDEMPTION = "redemption", _("Deleted at the registry, in redemption")


class DelegationState(models.TextChoices):
    DELEGATED = "delegated", _("Delegated")
    NOT_DELEGATED = "not_delegated", _("Not delegated")
    LAME = "lame", _("Lame delegation")


class Domain(models.Model):
    """What Openbill keeps of a domain service besides the service row."""

    service = models.OneToOneField("services.Service", on_delete=models.CASCADE, related_name="domain")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="domains")
    name = models.CharField(_("domain (ASCII)"), max_length=253, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    years = models.PositiveSmallIntegerField(_("years"), default=1)
    ns = models.JSONField(_("name servers"), default=list, blank=True)
    owner = models.ForeignKey(DomainContact, on_delete=models.PROTECT, related_name="owned_domains")
    admin = models.ForeignKey(DomainContact, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    tech = models.ForeignKey(DomainContact, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    billing = models.ForeignKey(DomainContact, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    whois_text = models.TextField(_("registration data"), blank=True)
    whois_error = models.CharField(_("registration data error"), max_length=500, blank=True)
    whois_fetched_at = models.DateTimeField(_("registration data fetched"), null=True, blank=True)
    verification = models.CharField(
        _("verification"), max_length=10, choices=Verification.choices, blank=True, default=""
    )
    delegation = models.CharField(
        _("delegation"), max_length=14, choices=DelegationState.choices, blank=True, default=""
    )
    delegation_reason = models.CharField(_("delegation check result"), max_length=1000, blank=True)
    delegation_checked_at = models.DateTimeField(_("delegation checked"), null=True, blank=True)
    # A transfer the losing registrar has not answered yet: followed by the transfers sweep.
    transfer_status = models.CharField(
        _("transfer"), max_length=10, choices=TransferState.choices, blank=True, default=""
    )
    transfer_checked_at = models.DateTimeField(_("transfer checked"), null=True, blank=True)
    # After expiry: the phase and its two deadlines (fixed when the grace period starts).
    phase = models.CharField(_("expiry phase"), max_length=10, choices=Phase.choices, blank=True, default="")
    grace_until = models.DateTimeField(_("renewable until"), null=True, blank=True)
    redemption_until = models.DateTimeField(_("restorable until"), null=True, blank=True)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return to_unicode(self.name)

    @property
    def unicode_name(self) -> str:
        return to_unicode(self.name)


def document_path(instance: DomainDocument, filename: str) -> str:
    # A random name: the client's file name is kept in ``name`` and never used on disk.
    return f"domains/{secrets.token_hex(16)}"


class DomainDocument(models.Model):
    """A document the client sent for verification (private storage, never served publicly)."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
