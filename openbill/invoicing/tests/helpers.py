"""Shared set-up for invoicing tests: a Spanish seller with its tax table, buyers, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from openbill.core.actors import Actor
from openbill.invoicing.models import BillingProfile, SellerProfile, TaxRule, VatStatus
from openbill.payments import actions as payments
from openbill.payments.models import Payment

STAFF = Actor("staff", None, "staff")
CLIENT = Actor("client", None, "client")


def spanish_seller(provider: Any, *, oss: bool = False, gross: bool = False) -> SellerProfile:
    provider.currency = "EUR"
    provider.save(update_fields=["currency"])
    seller = SellerProfile.objects.create(
        provider=provider,
        legal_name="Hosting Ibérico S.L.",
        address="Calle Mayor 1\n28013 Madrid",
        country="ES",
        tax_id="ESB12345674",
        registration="Registro Mercantil de Madrid, tomo 1, hoja M-1",
        oss_registered=oss,
        prices_include_tax=gross,
    )
    since = date(2020, 1, 1)
    TaxRule.objects.create(provider=provider, country="ES", rate=Decimal(21), name="IVA 21%", valid_from=since)
    TaxRule.objects.create(
        provider=provider, country="ES", region="CN", rate=Decimal(7), name="IGIC 7%", valid_from=since
    )
    TaxRule.objects.create(provider=provider, country="DE", rate=Decimal(19), name="MwSt 19%", valid_from=since)
    TaxRule.objects.create(provider=provider, country="FR", rate=Decimal(20), name="TVA 20%", valid_from=since)
    TaxRule.objects.create(provider=provider, country="NO", rate=Decimal(25), name="MVA 25%", valid_from=since)
    return seller


def profile(
    client: Any, country: str = "ES", *, kind: str = "person", vat: str = "", status: str = "none", region: str = ""
) -> BillingProfile:
    return BillingProfile.objects.update_or_create(
        client=client,
        defaults={
            "kind": kind,
            "legal_name": f"{client.name} Ltd" if kind == "company" else client.name,
            "address": "Street 1",
            "country": country,
            "region": region,
            "vat_number": vat,
            "vat_status": status,
            "updated_at": timezone.now(),
        },
    )[0]


def paid_by_bank(client: Any, amount: str, *, order: Any = None, now: Any = None) -> Payment:
    """A bank transfer started by the client and confirmed by staff: the money is received."""
    now = now or timezone.now()
    payment, _result = payments.start_payment(
        client, method="bank", amount=amount, order=order, actor=CLIENT, now=now, return_url="/"
    )
    payments.confirm_payment(payment, actor=STAFF, now=now)
    payment.refresh_from_db()
    return payment


VERIFIED = VatStatus.VALID
