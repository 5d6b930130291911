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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openbill.clients.models import Provider
from openbill.core.actors import Actor
from openbill.core.crypto import decrypt_json, encrypt_json
from openbill.core.errors import DomainError

from .models import GatewayAccount, GatewayAccountChange

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
) -> GatewayAccount:
    """Save a provider's gateway account from the staff form. A secret left empty keeps the
    stored one; a plain field is set to what was sent. Records who changed which fields."""
    if gateway not in FIELDS:
        raise DomainError(_("Unknown gateway."), field="gateway")
    with transaction.atomic():
        account = GatewayAccount.objects.select_for_update().filter(provider=provider, gateway=gateway).first()
        old_plain = dict(account.settings) if account else {}
        secrets = decrypt_json(account.secrets_encrypted) if account else {}
        hints = dict(account.secret_hints) if account else {}
        plain: dict[str, str] = {}
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
