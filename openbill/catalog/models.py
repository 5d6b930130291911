"""The catalog: product types, tariff plans, their prices and add-ons."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from openbill.core.money import DECIMAL_PLACES, MAX_DIGITS
from openbill.core.timeutil import Period

from .instructions import template_problems


def _money_field(verbose: Any, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


class ProductKind(models.TextChoices):
    VIRTUAL_SERVER = "vds", _("Virtual server")
    VIRTUAL_HOSTING = "hosting", _("Virtual hosting")
    DEDICATED_SERVER = "dedicated", _("Dedicated server")
    DOMAIN = "domain", _("Domain")
    SSL_CERTIFICATE = "ssl", _("SSL certificate")
    VIRTUAL_DATA_CENTER = "vdc", _("Virtual data center")
    SOFTWARE_LICENCE = "licence", _("Software licence")
    GENERIC = "generic", _("Generic")


class DeletionWho(models.TextChoices):
    CLIENT_AND_STAFF = "client", _("Client and staff")
    STAFF_ONLY = "staff", _("Staff only")


class DeletionWhen(models.TextChoices):
    NOW = "now", _("At once")
    PERIOD_END = "period_end", _("At the end of the paid period")


class CatalogRevision(models.Model):
    """The catalog's revision: one row (``pk=1``) whose ``token`` changes, in the writing
    transaction, with every change to a product type, tariff, price or add-on of any provider
    (``catalog.signals``). A process that keeps catalogs in memory (``catalog.selectors``) reads
    the token and reloads when it differs. A fresh random token rather than a counter: a
    rolled-back change can never leave behind a number that a later change reuses."""

    token = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return self.token


class ProductType(models.Model):
    """A kind of service the provider sells, with its deletion policy and instruction manual."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ProductKind.choices)
    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="product_types")
    deletion_who = models.CharField(
        _("who may delete"), max_length=10, choices=DeletionWho.choices, default=DeletionWho.CLIENT_AND_STAFF
    )
    deletion_when = models.CharField(
        _("when a client's deletion happens"), max_length=12, choices=DeletionWhen.choices, default=DeletionWhen.NOW
    )
    refund_unused = models.BooleanField(_("refund the unused part on deletion"), default=False)
    client_can_suspend = models.BooleanField(_("clients may suspend"), default=True)
    grace_days = models.PositiveIntegerField(_("grace days before an unpaid service stops"), default=0)
    auto_delete_days = models.PositiveIntegerField(_("days after an automatic suspension before deletion"), default=14)
    instruction_template = models.TextField(
        _("instruction manual"),
        blank=True,
        help_text=_(
            "Rendered sandboxed with the service's own details, e.g. {{ service.name }}, {{ params.hostname }}."
        ),
    )


    # Reads and lookups of its texts in the active language (catalog/translation.py).
    objects: MultilingualManager[ProductType] = MultilingualManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A manual may show only values its services have (``catalog.instructions``)."""
        parameters = set(self.parameters.values_list("code", flat=True)) if self.pk else None
        addons = (
            set(Addon.objects.filter(tariff__product_type=self).values_list("resource", flat=True)) if self.pk else None
        )
        errors = {}
        # Each language's manual (catalog.translation).
        for field in [f"instruction_template_{code}" for code, _name in settings.LANGUAGES]:
            template = getattr(self, field, None)
            if template and (problems := template_problems(template, parameters=parameters, addons=addons)):
                errors[field] = problems
        if errors:
            raise ValidationError(errors)

    def name_from(self, parameters: dict[str, Any]) -> str:
        """A service's default name where the product type has a parameter that names it: its
        domain name or host name (the first such parameter with a value), shown in Unicode."""
        for parameter in self.parameters.all():
            value = parameters.get(parameter.code)
            if parameter.kind in NAMING_KINDS and isinstance(value, str) and value.strip():
                try:
                    return value.strip().encode("ascii").decode("idna")
                except UnicodeError:
                    return value.strip()
        return ""


class ParameterKind(models.TextChoices):
    TEXT = "text", _("Text")
    HOSTNAME = "hostname", _("Host name")
    DOMAIN = "domain", _("Domain name")
    CHOICE = "choice", _("Choice")
    CSR = "csr", _("Certificate signing request")
    EMAIL = "email", _("Email")


# Parameters whose value names the service (ProductType.name_from).
NAMING_KINDS = frozenset({ParameterKind.DOMAIN, ParameterKind.HOSTNAME})

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(value: str) -> str:
    """Lower-case, IDN to punycode, validated label by label. Raises ValidationError."""
    value = value.strip().rstrip(".").lower()
    try:
        ascii_name = value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationError(_("Enter a valid domain name.")) from exc
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValidationError(_("Enter a valid domain name."))
    if labels[-1].isdigit():
        raise ValidationError(_("Enter a valid domain name."))
    return ascii_name


class ProductParameter(models.Model):
    """A parameter a product type's services need (hostname, domain, OS template…)."""

    product_type = models.ForeignKey(ProductType, on_delete=models.CASCADE, related_name="parameters")
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ParameterKind.choices, default=ParameterKind.TEXT)
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("For a choice: the allowed values."))
    # One field per language (catalog/translation.py): what a client reads for each stored value.
    choice_labels = models.JSONField(
        _("choice labels"),
        default=dict,
        blank=True,
        help_text=_('For a choice: what the client reads for each value, e.g. {"fra": "Frankfurt"}.'),
    )
    regex = models.CharField(_("pattern"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)


    # Reads and lookups of its texts in the active language (catalog/translation.py).
    objects: MultilingualManager[ProductParameter] = MultilingualManager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["product_type", "code"], name="parameter_code_unique")]

    def __str__(self) -> str:
        return f"{self.product_type}: {self.label}"

    def choice_label(self, value: Any) -> str:
        """What the reader sees for a stored choice: its label in the active language, else in
        the default language, else the value itself."""
        value = "" if value is None else str(value)
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        for code in (language, settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
            labels = getattr(self, f"choice_labels_{code}", None)
            if isinstance(labels, dict) and labels.get(value):
                return str(labels[value])
        return value

    def choice_items(self) -> list[tuple[str, str]]:
        """(value, label) of each allowed value, in the staff's order, for a form or the API."""
        return [(str(value), self.choice_label(value)) for value in self.choices or []]

    def shown_value(self, value: Any) -> str:
        """A service's stored value as its client reads it (a choice by its label)."""
        if self.kind == ParameterKind.CHOICE:
            return self.choice_label(value)
        return "" if value is None else str(value)

    def clean_value(self, value: Any) -> str:
        """The stored form of a value, or ValidationError with a message for the client."""
        text = "" if value is None else str(value).strip()
        if not text:
            if self.required:
                raise ValidationError(_("This parameter is required."))
            return ""
        if len(text) > 4000:
            raise ValidationError(_("The value is too long."))
        if self.kind in (ParameterKind.DOMAIN, ParameterKind.HOSTNAME):
            text = normalize_domain(text)
        elif self.kind == ParameterKind.CHOICE and text not in [str(c) for c in self.choices]:
            raise ValidationError(_("Choose one of the offered values."))
        elif self.kind == ParameterKind.EMAIL:
            from django.core.validators import validate_email

            validate_email(text)
        elif self.kind == ParameterKind.CSR and "BEGIN CERTIFICATE REQUEST" not in text:
            raise ValidationError(_("Paste a PEM certificate signing request."))
        if self.regex and not re.fullmatch(self.regex, text):
            raise ValidationError(_("The value has the wrong format."))
        return text


class OverageWithoutFunds(models.TextChoices):
    CHARGE = "charge", _("Charge anyway, even past the credit limit")
    SUSPEND = "suspend", _("Suspend until paid")


class TariffPlan(models.Model):
    """A tariff: what a service costs and which add-ons it has."""

    product_type = models.ForeignKey(ProductType, on_delete=models.PROTECT, related_name="tariffs")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    orderable = models.BooleanField(_("orderable"), default=True)
    auto_renew_default = models.BooleanField(_("auto-renewal on by default"), default=True)
    quick_order = models.BooleanField(_("quick order allowed"), default=False)
    changeable_to = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="changeable_from", verbose_name=_("may change to")
    )
    overage_without_funds = models.CharField(
        _("overage without funds"),
        max_length=10,
        choices=OverageWithoutFunds.choices,
        default=OverageWithoutFunds.CHARGE,
    )
    position = models.PositiveIntegerField(default=0)


    # Reads and lookups of its texts in the active language (catalog/translation.py).
    objects: MultilingualManager[TariffPlan] = MultilingualManager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class PeriodPrice(models.Model):
    """The price of one period of a tariff, with the setup fee charged on the first order."""

    tariff = models.ForeignKey(TariffPlan, on_delete=models.CASCADE, related_name="prices")
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    price = _money_field(_("price"))
    setup_fee = _money_field(_("setup fee"), default=Decimal(0))

    class Meta:
        ordering = ["tariff", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "period"], name="period_price_unique"),
            models.CheckConstraint(condition=Q(price__gte=0) & Q(setup_fee__gte=0), name="period_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.tariff}: {self.get_period_display()} {self.price}"


class BillingType(models.TextChoices):
    INCLUDED = "included", _("Included")
    ORDER = "order", _("By order")
    STATISTICS = "statistics", _("By statistics")
    LIST = "list", _("Client's choice from a list")


class ValueType(models.TextChoices):
    BOOLEAN = "boolean", _("Yes/no")
    INTEGER = "integer", _("Integer")
    ENUM = "enum", _("Enumeration")


class StatisticsPeriod(models.TextChoices):
    MONTH = "month", _("Calendar month")
    DAY = "day", _("Day")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    MAX = "max", _("Maximum")


class Addon(models.Model):
    """A resource of a tariff: RAM, disk, an extra IP, traffic, an OS template…"""

    tariff = models.ForeignKey(TariffPlan, on_delete=models.CASCADE, related_name="addons")
    resource = models.SlugField(_("resource"), max_length=50, help_text=_("ram, cpu, disk, ipv4, traffic, os…"))
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    billing_type = models.CharField(_("billing type"), max_length=12, choices=BillingType.choices)
    value_type = models.CharField(_("value type"), max_length=10, choices=ValueType.choices, default=ValueType.INTEGER)
    included = _money_field(_("included amount"), default=Decimal(0))
    minimum = _money_field(_("minimum"), default=Decimal(0))
    maximum = _money_field(_("maximum"), null=True, blank=True)
    step = _money_field(_("step"), default=Decimal(1))
    overage_price = _money_field(_("overage price per unit"), default=Decimal(0))
    statistics_period = models.CharField(
        _("reporting period"), max_length=6, choices=StatisticsPeriod.choices, default=StatisticsPeriod.MONTH
    )
    aggregation = models.CharField(_("aggregation"), max_length=4, choices=Aggregation.choices, default=Aggregation.SUM)
    metrics = models.JSONField(_("measured parameters"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)


    # Reads and lookups of its texts in the active language (catalog/translation.py).
    objects: MultilingualManager[Addon] = MultilingualManager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "resource"], name="addon_resource_unique"),
            models.CheckConstraint(condition=Q(step__gt=0), name="addon_step_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.tariff}: {self.name}"

    def clean(self) -> None:
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValidationError({"maximum": _("The maximum is below the minimum.")})

    def unit_price(self, period: str, enum_item: AddonEnumItem | None = None) -> Decimal:
        """Price per unit for one period; prefetch ``prices`` to avoid a query per add-on."""
        for price in self.prices.all():
            if price.period == period and price.enum_item_id == (enum_item.pk if enum_item else None):
                return price.unit_price
        return Decimal(0)

    def validate_quantity(self, quantity: Decimal) -> None:
        """Raise ValidationError unless ``quantity`` is within min/max and on the step."""
        if self.value_type == ValueType.BOOLEAN and quantity not in (0, 1):
            raise ValidationError(_("Choose yes or no."))
        if quantity < self.minimum or (self.maximum is not None and quantity > self.maximum):
            raise ValidationError(
                _("%(name)s must be between %(min)s and %(max)s.")
                % {
                    "name": self.name,
                    "min": f"{self.minimum.normalize():f}",
                    "max": f"{(self.maximum or quantity).normalize():f}",
                }
            )
        if (quantity - self.minimum) % self.step:
            raise ValidationError(
                _("%(name)s goes in steps of %(step)s.") % {"name": self.name, "step": f"{self.step.normalize():f}"}
            )


class AddonEnumItem(models.Model):
    """One choice of an enumeration add-on (an OS template, a control panel…)."""

    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    position = models.PositiveIntegerField(default=0)


    # Reads and lookups of its texts in the active language (catalog/translation.py).
    objects: MultilingualManager[AddonEnumItem] = MultilingualManager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["addon", "code"], name="enum_item_code_unique")]

    def __str__(self) -> str:
        return self.name


class AddonPrice(models.Model):
    """Price per unit of an add-on (or of one enumeration item) for one period."""

    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="prices")
    enum_item = models.ForeignKey(AddonEnumItem, on_delete=models.CASCADE, null=True, blank=True, related_name="prices")
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    unit_price = _money_field(_("price per unit"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["addon", "period"], condition=Q(enum_item__isnull=True), name="addon_price_unique"
            ),
            models.UniqueConstraint(
                fields=["addon", "enum_item", "period"],
                condition=Q(enum_item__isnull=False),
                name="addon_item_price_unique",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="addon_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.addon} {self.period}: {self.unit_price}"
