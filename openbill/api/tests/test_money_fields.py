"""Amounts sent to the API are decimal strings in the one documented format, never floats."""

from __future__ import annotations

import pytest

from openbill.payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", [25.5, 25, "1e3", "25,00", " 25.00", "25.", ".5", "25.00001", "NaN"])
def test_a_top_up_amount_outside_the_money_format_is_refused_naming_the_field(alice_api, alice, amount):
    response = alice_api.post("/api/v1/payments/", {"method": "bank", "amount": amount}, format="json")

    assert response.status_code == 400
    assert "amount" in response.json()
    assert Payment.objects.count() == 0


def test_a_top_up_amount_in_the_money_format_is_taken_exactly(alice_api, alice):
    response = alice_api.post("/api/v1/payments/", {"method": "bank", "amount": "25.10"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["payment"]["amount"] == "25.10"
