"""Demo invoicing: the provider's legal details and tax table, billing profiles for alice and
bob, and a welcome promo code (alice's invoice comes from her payment in payments.demo)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from openbill.clients.models import Client

from .models import BillingProfile, PromoCode, SellerProfile, TaxRule, VatStatus


def extend(demo: Any) -> None:
    provider = demo.provider
    SellerProfile.objects.create(
        provider=provider,
        legal_name="Demo Hosting S.L.",
        address="Calle de Alcalá 1\n28014 Madrid",
        country="ES",
        tax_id="ESB12345674",
        registration="Registro Mercantil de Madrid, tomo 0000, folio 0, hoja M-000000",
        oss_registered=True,
    )
    since = date(2021, 7, 1)
    for country, rate, name in (
        ("ES", 21, "IVA 21%"),
        ("DE", 19, "MwSt 19%"),
        ("FR", 20, "TVA 20%"),
        ("PT", 23, "IVA 23%"),
    ):
        TaxRule.objects.create(provider=provider, country=country, rate=Decimal(rate), name=name, valid_from=since)
    TaxRule.objects.create(
        provider=provider, country="ES", region="CN", rate=Decimal(7), name="IGIC 7%", valid_from=since
    )
    alice = Client.objects.get(provider=provider, email="alice@demo.test")
    bob = Client.objects.get(provider=provider, email="bob@demo.test")
    BillingProfile.objects.create(
        client=alice, kind="person", legal_name="Alice Example", address="Gran Vía 10\n28013 Madrid", country="ES",
        updated_at=demo.now,
    )  # fmt: skip
    BillingProfile.objects.create(
        client=bob, kind="company", legal_name="Bob Sample GmbH", address="Unter den Linden 1\n10117 Berlin",
        country="DE", vat_number="DE136695976", vat_status=VatStatus.VALID, vat_checked_at=demo.now,
        vat_consultation="demo", updated_at=demo.now,
    )  # fmt: skip
    PromoCode.objects.create(
        provider=provider, code="WELCOME10", kind="percent", value=Decimal(10), new_clients_only=True
    )
