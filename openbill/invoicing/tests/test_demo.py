"""The demo's provider invoices: legal details, a tax table, billing profiles, an invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openbill.core import demo
from openbill.invoicing.audit import run_audit
from openbill.invoicing.models import BillingProfile, Document, SellerProfile, TaxRule


@pytest.mark.django_db
def test_the_demo_provider_has_legal_details_tax_rules_profiles_and_an_invoice() -> None:
    demo.load()
    seller = SellerProfile.objects.get(provider__name=demo.PROVIDER_NAME)
    assert seller.tax_id and TaxRule.objects.filter(provider=seller.provider).count() >= 4
    assert set(BillingProfile.objects.values_list("client__email", flat=True)) == {"alice@demo.test", "bob@demo.test"}
    invoice = Document.objects.get(client__email="alice@demo.test")
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("100.00"),
        Decimal("21.00"),
        Decimal("121.00"),
    )
    assert run_audit() == []
