"""The billing profile form (client area); the rules are in actions.save_billing_profile."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import countries
from .models import BuyerKind


class BillingProfileForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("I buy as"), choices=BuyerKind.choices, widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )
    legal_name = forms.CharField(label=_("Name on the invoices"), max_length=200)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}))
    country = forms.ChoiceField(label=_("Country"))
    region = forms.CharField(
        label=_("Region"),
        max_length=40,
        required=False,
        help_text=_("Only where rates differ (e.g. CN for the Canary Islands)."),
    )
    vat_number = forms.CharField(
        label=_("VAT number"),
        max_length=20,
        required=False,
        help_text=_("Companies in the EU: with it, no VAT is charged across borders once verified."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["country"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *sorted(countries().items(), key=lambda item: item[1])]
