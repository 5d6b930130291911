"""The keys each provider's card gateways use: set by staff in the staff pages, or taken from
the environment.

Precedence, per provider and gateway: an account saved in the staff pages (Staff → Payment
gateways) is used whole — switched off there, the gateway is off for that provider whatever the
environment says; a provider with no account saved for a gateway uses the environment variables
(``STRIPE_SECRET_KEY``…, ``PAYPAL_CLIENT_ID``…). The API hosts (``STRIPE_API_BASE``,
``PAYPAL_API_BASE``) come from the environment only and, when set, override the mode (a
stand-in in tests). Keys from two places are never mixed.

Secrets are stored encrypted (``core.crypto``: ``OPENBILL_FIELD_KEY``, else derived from
SECRET_KEY) and never shown back: the staff page says "set" and their last four characters.
Every save records who changed which fields (``GatewayAccountChange``), never the values.

Each account may be limited to currencies (ISO 4217 codes in ``settings["currencies"]``; none:
every currency the gateway supports); a provider using the environment takes
``STRIPE_CURRENCIES`` / ``PAYPAL_CURRENCIES`` (comma separated). A client is offered a gateway,
and autopay charges a saved card, only in a currency the gateway accepts (``accepts``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.numbers import list_currencies
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openbill.clients.models import Provider
from openbill.core.actors import Actor
from openbill.core.crypto import decrypt_json, encrypt_json
from openbill.core.errors import DomainError

from .models import GatewayAccount, GatewayAccountChange

log = logging.getLogger(__name__)

STRIPE = "stripe"
PAYPAL = "paypal"
PAYPAL_LIVE = "https://api-m.paypal.com"
PAYPAL_SANDBOX = "https://api-m.sandbox.paypal.com"


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    secret: bool = False
    prefix: str = ""  # what a valid value starts with ("sk_", "whsec_"), checked on save


FIELDS: dict[str, tuple[Field, ...]] = {
    STRIPE: (
        Field("publishable_key", gettext_lazy("Publishable key"), prefix="pk_"),
        Field("secret_key", gettext_lazy("Secret key"), secret=True, prefix="sk_"),
        Field("webhook_secret", gettext_lazy("Webhook signing secret"), secret=True, prefix="whsec_"),
    ),
    PAYPAL: (
        Field("client_id", gettext_lazy("Client ID")),
        Field("client_secret", gettext_lazy("Secret"), secret=True),
        Field("webhook_id", gettext_lazy("Webhook ID")),
    ),
}
LABELS = {STRIPE: "Stripe", PAYPAL: "PayPal"}

# The currencies a gateway can take at all; None: any ISO 4217 currency. Stripe takes 135+
# (it checks each charge); PayPal's REST API takes these
# (https://developer.paypal.com/reference/currency-codes/).
SUPPORTED: dict[str, frozenset[str] | None] = {
    STRIPE: None,
    PAYPAL: frozenset(
        [
            "AUD",
            "BRL",
            "CAD",
            "CNY",
            "CZK",
            "DKK",
            "EUR",
            "HKD",
            "HUF",
            "ILS",
            "JPY",
            "MYR",
            "MXN",
            "TWD",
            "NZD",
            "NOK",
            "PHP",
            "PLN",
            "GBP",
            "SGD",
            "SEK",
            "CHF",
            "THB",
            "USD",
        ]
    ),
}
ENV_CURRENCIES = {STRIPE: "STRIPE_CURRENCIES", PAYPAL: "PAYPAL_CURRENCIES"}


def parse_currencies(gateway: str, text: str) -> list[str]:
    """The codes of a comma (or space) separated list, upper-cased, sorted and without repeats;
    a DomainError naming ``currencies`` for a code that is not ISO 4217 or that the gateway does
    not take."""
    codes = sorted({c.strip().upper() for c in text.replace(",", " ").split() if c.strip()})
    known = list_currencies()
    supported = SUPPORTED.get(gateway)
    for code in codes:
        if len(code) != 3 or code not in known:
            raise DomainError(_("%(code)s is not an ISO 4217 currency code.") % {"code": code}, field="currencies")
        if supported is not None and code not in supported:
            raise DomainError(
                _("%(gateway)s does not take %(code)s.") % {"gateway": LABELS[gateway], "code": code},
                field="currencies",
            )
    return codes


def currencies(provider_id: int | None, gateway: str) -> set[str] | None:
    """The currencies the provider limited the gateway to; None: no limit. An environment
    limit of only bad codes limits the gateway to no currency at all (empty set)."""
    account = _account(provider_id, gateway)
    if account is not None:
        return {str(c) for c in account.settings.get("currencies", [])} or None
    raw = str(getattr(settings, ENV_CURRENCIES[gateway], "")).replace(",", " ").split()
    if not raw:
        return None
    codes: set[str] = set()
    for code in raw:
        try:
            codes.update(parse_currencies(gateway, code))
        except DomainError as exc:
            log.error("%s: %s", ENV_CURRENCIES[gateway], exc.message)
    return codes


def accepts(provider_id: int | None, gateway: str, currency: str) -> bool:
    """Whether the provider's account at the gateway takes payments in ``currency``."""
    supported = SUPPORTED.get(gateway)
    if supported is not None and currency not in supported:
        return False
    limited = currencies(provider_id, gateway)
    return limited is None or currency in limited


@dataclass(frozen=True)
class StripeKeys:
    secret_key: str
    publishable_key: str
    webhook_secret: str
    source: str  # "staff" or "environment"


@dataclass(frozen=True)
class PayPalKeys:
    client_id: str
    client_secret: str
    webhook_id: str
    api_base: str
    source: str


def _account(provider_id: int | None, gateway: str) -> GatewayAccount | None:
    if provider_id is None:
        return None
    return GatewayAccount.objects.filter(provider_id=provider_id, gateway=gateway).first()


def _values(account: GatewayAccount) -> dict[str, str]:
    return {**{k: str(v) for k, v in account.settings.items()}, **decrypt_json(account.secrets_encrypted)}


def stripe_keys(provider_id: int | None) -> StripeKeys | None:
    """The Stripe keys of the provider's account, or None when Stripe is off for it."""
    account = _account(provider_id, STRIPE)
    if account is not None:
        if not account.enabled:
            return None
        v = _values(account)
        keys = StripeKeys(v.get("secret_key", ""), v.get("publishable_key", ""), v.get("webhook_secret", ""), "staff")
    else:
        keys = StripeKeys(
            settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY, settings.STRIPE_WEBHOOK_SECRET, "environment"
        )
    return keys if keys.secret_key else None


def paypal_keys(provider_id: int | None) -> PayPalKeys | None:
    """The PayPal credentials of the provider's account, or None when PayPal is off for it."""
    account = _account(provider_id, PAYPAL)
    if account is not None:
        if not account.enabled:
            return None
        v = _values(account)
        base = settings.PAYPAL_API_BASE or (PAYPAL_LIVE if account.live else PAYPAL_SANDBOX)
        keys = PayPalKeys(v.get("client_id", ""), v.get("client_secret", ""), v.get("webhook_id", ""), base, "staff")
    else:
        base = settings.PAYPAL_API_BASE or (PAYPAL_LIVE if settings.PAYPAL_LIVE else PAYPAL_SANDBOX)
        keys = PayPalKeys(
            settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET, settings.PAYPAL_WEBHOOK_ID, base, "environment"
        )
    return keys if keys.client_id and keys.client_secret else None


def stripe_accounts() -> list[tuple[int | None, StripeKeys]]:
    """Every Stripe account in use: each provider's (None: the environment's, for providers
    that saved none). Stripe's webhook is checked against their signing secrets."""
    found: list[tuple[int | None, StripeKeys]] = []
    saved = set()
    for account in GatewayAccount.objects.filter(gateway=STRIPE).order_by("provider_id"):
        saved.add(account.provider_id)
        if (keys := stripe_keys(account.provider_id)) is not None:
            found.append((account.provider_id, keys))
    if Provider.objects.exclude(pk__in=saved).exists() and (env := stripe_keys(None)) is not None:
        found.append((None, env))
    return found


def stripe_provider_ids() -> list[int]:
    """The providers Stripe is on for."""
    return [pk for pk in Provider.objects.order_by("pk").values_list("pk", flat=True) if stripe_keys(pk) is not None]


# --- the staff page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    secret: bool
    value: str  # the stored value of a plain field; "" for a secret
    hint: str  # a secret's "set ••••1234", or ""


@dataclass(frozen=True)
class AccountView:
    gateway: str
    label: str
    saved: bool
    enabled: bool
    live: bool
    currencies: str  # the codes it is limited to, comma separated ("": every currency it takes)
    fields: list[FieldView]
    changes: list[GatewayAccountChange]


def account_views(provider: Provider) -> list[AccountView]:
    """What the staff page shows of the provider's gateway accounts (never a secret)."""
    accounts = {a.gateway: a for a in GatewayAccount.objects.filter(provider=provider)}
    views = []
    for gateway, fields in FIELDS.items():
        account = accounts.get(gateway)
        plain = account.settings if account else {}
        hints = account.secret_hints if account else {}
        views.append(
            AccountView(
                gateway=gateway,
                label=LABELS[gateway],
                saved=account is not None,
                enabled=account.enabled if account else False,
                live=account.live if account else False,
                currencies=", ".join(plain.get("currencies", [])),
                fields=[
                    FieldView(
                        f.name,
                        str(f.label),
                        f.secret,
                        "" if f.secret else str(plain.get(f.name, "")),
                        (_("set, ending %(last4)s") % {"last4": hints[f.name]}) if f.secret and f.name in hints else "",
                    )
                    for f in fields
                ],
                changes=list(account.changes.all()[:20]) if account else [],
            )
        )
    return views


def save_account(
    provider: Provider,
    gateway: str,
    *,
    enabled: bool,
    live: bool,
    values: dict[str, str],
    actor: Actor,
    now: datetime,
    currencies: str = "",
) -> GatewayAccount:
    """Save a provider's gateway account from the staff form. A secret left empty keeps the
    stored one; a plain field is set to what was sent; ``currencies`` (comma separated ISO 4217
    codes, empty: every currency the gateway takes) limits it. Records who changed which fields."""
    if gateway not in FIELDS:
        raise DomainError(_("Unknown gateway."), field="gateway")
    codes = parse_currencies(gateway, currencies)
    with transaction.atomic():
        account = GatewayAccount.objects.select_for_update().filter(provider=provider, gateway=gateway).first()
        old_plain = dict(account.settings) if account else {}
        secrets = decrypt_json(account.secrets_encrypted) if account else {}
        hints = dict(account.secret_hints) if account else {}
        plain: dict[str, Any] = {}
        changed = []
        for f in FIELDS[gateway]:
            value = values.get(f.name, "").strip()
            if value and f.prefix and not value.startswith(f.prefix):
                raise DomainError(
                    _("This does not look like a %(what)s (it starts with %(prefix)s).")
                    % {"what": f.label, "prefix": f.prefix},
                    field=f.name,
                )
            if f.secret:
                if value and value != secrets.get(f.name):
                    secrets[f.name], hints[f.name] = value, value[-4:]
                    changed.append(f.name)
            else:
                plain[f.name] = value
                if value != old_plain.get(f.name, ""):
                    changed.append(f.name)
        if enabled and not all(plain.get(f.name) or secrets.get(f.name) for f in FIELDS[gateway]):
            raise DomainError(_("Fill in every key before switching the gateway on."), field="enabled")
        if codes != old_plain.get("currencies", []):
            changed.append("currencies")
        if codes:
            plain["currencies"] = codes
        if account is None:
            account = GatewayAccount(provider=provider, gateway=gateway)
            changed.insert(0, "created")
        if account.enabled != enabled or account.pk is None:
            changed.append("enabled")
        if account.live != live:
            changed.append("live")
        account.enabled, account.live, account.settings = enabled, live, plain
        account.secrets_encrypted, account.secret_hints = encrypt_json(secrets), hints
        account.updated_at, account.updated_by = now, str(actor)
        account.save()
        if changed:
            GatewayAccountChange.objects.create(account=account, changed_at=now, changed_by=str(actor), fields=changed)
    return account


def on_anywhere(gateway: str) -> bool:
    """Whether the gateway is on for some provider (its webhook URL answers)."""
    lookup = stripe_keys if gateway == STRIPE else paypal_keys
    saved = GatewayAccount.objects.filter(gateway=gateway)
    if any(lookup(a.provider_id) is not None for a in saved.filter(enabled=True)):
        return True
    unsaved = Provider.objects.exclude(pk__in=saved.values("provider_id")).exists()
    return unsaved and lookup(None) is not None
