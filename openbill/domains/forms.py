"""Forms of the domains client area."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action, DomainContact, Role


class CheckForm(forms.Form):
    names = forms.CharField(
        label=_("Domain names"),
        max_length=2000,
        help_text=_("One or more names, separated by spaces, with or without the zone."),
    )


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DomainContact
        fields = ["kind", "name", "organisation", "street", "city", "region", "postcode", "country", "phone", "email"]
        help_texts = {"phone": _("+CC.NUMBER, e.g. +34.911234567"), "country": _("Two letters, e.g. ES")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _("A person cannot become an organisation or back.")


class OrderForm(forms.Form):
    name = forms.CharField(label=_("Domain"), max_length=300)
    action = forms.ChoiceField(
        label=_("Action"), choices=[(Action.REGISTER, _("Register")), (Action.TRANSFER, _("Transfer"))]
    )
    years = forms.TypedChoiceField(
        label=_("Period"), coerce=int, choices=[(1, _("1 year")), (2, _("2 years")), (3, _("3 years"))], initial=1
    )
    auth_code = forms.CharField(label=_("Auth code"), max_length=100, required=False, help_text=_("Transfers only."))
    owner = forms.ModelChoiceField(label=Role.OWNER.label, queryset=DomainContact.objects.none())
    admin = forms.ModelChoiceField(label=Role.ADMIN.label, queryset=DomainContact.objects.none(), required=False)
    tech = forms.ModelChoiceField(label=Role.TECH.label, queryset=DomainContact.objects.none(), required=False)
    billing = forms.ModelChoiceField(label=Role.BILLING.label, queryset=DomainContact.objects.none(), required=False)
    ns = forms.CharField(
        label=_("Name servers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "2 to 13, one per line: ns1.example.net, or ns1.yourdomain.com/192.0.2.1 inside the domain itself."
        ),
    )
    auto_renew = forms.BooleanField(label=_("Renew automatically from the balance"), required=False, initial=True)

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role in Role.values:
            self.fields[role].queryset = contacts  # type: ignore[attr-defined]


class NsForm(forms.Form):
    ns = forms.CharField(
        label=_("Name servers"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "2 to 13, one per line: ns1.example.net, or ns1.yourdomain.com/192.0.2.1,2001:db8::1 inside the domain itself."
        ),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class VerifyForm(forms.Form):
    documents = MultipleFileField(
        label=_("Documents"),
        help_text=_("One or two files: a scan of the owner's identity document or registration (PDF or image)."),
    )
