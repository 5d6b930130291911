"""Invoices, credit notes and the tax that goes on them.

* ``SellerProfile`` — a provider's legal details and invoice settings. A provider without one
  issues no documents and charges no tax (Openbill as it was before invoicing).
* ``BillingProfile`` — the buyer (BILLmanager's *payer*): person or company, address, VAT number
  and the proof of its last VIES check.
* ``TaxRule`` — staff's table: country (and region), buyer kind, rate, name on the document.
* ``Series`` and ``SeriesCounter`` — numbering. The counter row is locked in the transaction that
  issues the document, so numbers are gap-free and unique.
* ``Document`` (an invoice or a credit note), its ``DocumentLine`` rows and its ``DocumentPdf``:
  written once. Database triggers refuse any UPDATE (and on PostgreSQL any DELETE) of them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS, Money


def _money(verbose: Any, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def _rate(verbose: Any, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        verbose,
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        **kwargs,
    )


class SellerProfile(models.Model):
    """The provider's legal entity as its documents show it, and how it prices."""

    provider = models.OneToOneField("clients.Provider", on_delete=models.PROTECT, related_name="seller")
    legal_name = models.CharField(_("legal name"), max_length=200)
    address = models.TextField(_("address"))
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. ES"))
    tax_id = models.CharField(_("tax id"), max_length=40, help_text=_("e.g. ESB12345678"))
    registration = models.CharField(
        _("registration text"), max_length=300, blank=True, help_text=_("Printed in the footer of every document.")
    )
    logo_svg = models.TextField(_("logo (SVG)"), blank=True)
    prices_include_tax = models.BooleanField(
        _("prices include tax"),
        default=False,
        help_text=_("On: catalog prices are what the client pays and the tax is inside them. Off: tax is added."),
    )
    oss_registered = models.BooleanField(_("registered for the EU One-Stop Shop"), default=False)

    class Meta:
        verbose_name = _("seller's legal details")
        verbose_name_plural = _("sellers' legal details")

    def __str__(self) -> str:
        return self.legal_name


class BuyerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class VatStatus(models.TextChoices):
    NONE = "none", _("No VAT number")
    UNVERIFIED = "unverified", _("Not yet verified")
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class BillingProfile(models.Model):
    """Who the client's documents are made out to. Required before the first payment when its
    provider issues invoices. ``vat_status`` is *valid* only after VIES said so; the answer's
    date and consultation number are the proof."""

    client = models.OneToOneField("clients.Client", on_delete=models.PROTECT, related_name="billing_profile")
    kind = models.CharField(_("buyer"), max_length=8, choices=BuyerKind.choices, default=BuyerKind.PERSON)
    legal_name = models.CharField(_("legal name"), max_length=200)
    address = models.TextField(_("address"))
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region"), max_length=40, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    vat_status = models.CharField(_("VAT number status"), max_length=10, choices=VatStatus.choices, default="none")
    vat_checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    vat_consultation = models.CharField(_("consultation number"), max_length=80, blank=True)
    vat_answer = models.JSONField(_("VIES answer"), default=dict, blank=True)
    postpaid_since = models.DateField(
        _("post-paid since"),
        null=True,
        blank=True,
        help_text=_(
            "Set by staff: from this day the client's charges are invoiced at the end of each month "
            "(its payments then get no invoice of their own). Empty: invoiced when money is received."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        indexes = [models.Index(fields=["vat_status", "vat_checked_at"], name="billing_profile_vies")]

    def __str__(self) -> str:
        return self.legal_name


class TaxRule(models.Model):
    """A rate staff set for a country (a region, a kind of buyer) from a date.

    The most specific rule valid on the day wins: a region's over its country's, a buyer kind's
    over "any buyer", the latest ``valid_from`` over older ones."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.PROTECT, related_name="tax_rules")
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region"), max_length=40, blank=True)
    buyer_kind = models.CharField(_("buyer"), max_length=8, choices=BuyerKind.choices, blank=True)
    rate = _rate(_("rate (%)"))
    name = models.CharField(_("name on the document"), max_length=60, help_text=_('e.g. "IVA 21%"'))
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["provider", "country", "region", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "country", "region", "buyer_kind", "valid_from"], name="tax_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country}{'-' + self.region if self.region else ''} {self.name}"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class Series(models.Model):
    """A numbering series: ``number_format`` takes ``{year}`` and ``{seq}`` (e.g. ``F{year}-{seq:06d}``)."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.PROTECT, related_name="invoice_series")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    number_format = models.CharField(_("number format"), max_length=60, default="{year}-{seq:06d}")
    yearly = models.BooleanField(_("restart every year"), default=True)
    active = models.BooleanField(_("used for new documents"), default=True)

    class Meta:
        verbose_name_plural = _("series")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "kind"], condition=models.Q(active=True), name="series_one_active_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number_format}"

    def format_number(self, *, year: int, seq: int) -> str:
        return self.number_format.format(year=year, seq=seq)


class SeriesCounter(models.Model):
    """The last number issued in a series for a year (0 for a continuous series). Locked and
    advanced in the transaction that writes the document: a rolled-back issue rolls it back."""

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="series_counter_unique")]

    def __str__(self) -> str:
        return f"{self.series_id}/{self.year}: {self.last}"


class TaxScheme(models.TextChoices):
    NONE = "none", _("No tax")
    DOMESTIC = "domestic", _("Domestic")
    REVERSE_CHARGE = "reverse_charge", _("EU reverse charge")
    OSS = "oss", _("EU One-Stop Shop")
    EXPORT = "export", _("Outside the EU")
    OWN_TABLE = "own_table", _("Seller's table")


class Document(models.Model):
    """An issued invoice or credit note: what the tax office sees. Written once, never changed.

    ``record_hash`` is the SHA-256 of the document's canonical fields and ``previous_hash``
    (the previous document of its series): editing any document breaks the chain."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.PROTECT, related_name="documents")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="documents")
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("number"), max_length=80)
    key = models.CharField(max_length=120, unique=True)
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    refund = models.OneToOneField(
        "payments.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("corrects")
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_on = models.DateField(_("date"))
    supplied_on = models.DateField(_("date of supply"))
    currency = models.CharField(_("currency"), max_length=3)
    net_amount = _money(_("net"))
    tax_amount = _money(_("tax"))
    total_amount = _money(_("total"))
    tax_rate = _rate(_("rate (%)"))
    tax_name = models.CharField(_("tax"), max_length=60)
    tax_scheme = models.CharField(_("tax scheme"), max_length=16, choices=TaxScheme.choices)
    tax_country = models.CharField(_("country of taxation"), max_length=2, blank=True)
    language = models.CharField(max_length=8)
    seller = models.JSONField()
    buyer = models.JSONField()
    previous_hash = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-issued_at"], name="document_client_recent"),
            models.Index(fields=["provider", "issued_on"], name="document_provider_day"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["series", "year", "sequence"], name="document_sequence_unique"),
            models.UniqueConstraint(fields=["provider", "number"], name="document_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)


class DocumentLine(models.Model):
    """One line of a document: net after its discount, tax on that net rounded once, total."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("description"), max_length=300)
    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(1))
    discount_amount = _money(_("discount"), default=Decimal(0))
    discount_label = models.CharField(max_length=80, blank=True)
    net_amount = _money(_("net"))
    tax_rate = _rate(_("rate (%)"))
    tax_amount = _money(_("tax"))
    total_amount = _money(_("total"))

    class Meta:
        ordering = ["document", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="document_line_unique")]

    def __str__(self) -> str:
        return self.description


class DocumentPdf(models.Model):
    """The PDF as rendered once at issue; the client downloads these bytes for ever."""

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="pdf")
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.document_id}.pdf"


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percentage")
    AMOUNT = "amount", _("Fixed amount")


class DiscountScope(models.TextChoices):
    FIRST = "first", _("First period only")
    RENEWALS = "renewals", _("First period and a number of renewals")
    EVERY = "every", _("First period and every renewal")


class PromoCode(models.Model):
    """A code a client enters when ordering. Its uses are the ``PromoUse`` rows, counted under
    this row's lock, so the last use is taken once however many carts try at the same moment."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.PROTECT, related_name="promo_codes")
    code = models.CharField(_("code"), max_length=40, help_text=_("Entered by the client; not case-sensitive."))
    kind = models.CharField(_("discount"), max_length=8, choices=DiscountKind.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("A percentage (10 = 10%), or an amount in the provider's currency."),
    )
    tariffs = models.ManyToManyField("catalog.TariffPlan", blank=True, verbose_name=_("tariffs"))
    product_types = models.ManyToManyField("catalog.ProductType", blank=True, verbose_name=_("product types"))
    periods = models.JSONField(
        _("periods"), default=list, blank=True, help_text=_('e.g. ["month", "year"]; empty: all')
    )
    scope = models.CharField(_("applies to"), max_length=10, choices=DiscountScope.choices, default=DiscountScope.FIRST)
    renewals = models.PositiveIntegerField(_("renewals"), default=0, help_text=_("How many renewals, for that scope."))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("uses in total"), null=True, blank=True)
    max_uses_per_client = models.PositiveIntegerField(_("uses per client"), null=True, blank=True)
    new_clients_only = models.BooleanField(_("new clients only"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="promo_code_unique"),
            models.CheckConstraint(
                condition=~models.Q(kind="percent") | models.Q(value__lte=100), name="promo_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class PromoUse(models.Model):
    """One use of a code: by a client, for the service it ordered. Deleted with a never-paid
    service taken out of the cart, which gives the use back."""

    promo = models.ForeignKey(PromoCode, on_delete=models.PROTECT, related_name="uses")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="promo_uses")
    service = models.OneToOneField("services.Service", on_delete=models.CASCADE, related_name="promo_use")
    used_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.promo_id} → {self.service_id}"
