"""Forms of the domains client area."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .models import MAX_YEARS, Action, ContactKind, DomainContact, Role

YEAR_CHOICES = [(n, ngettext_lazy("%(n)s year", "%(n)s years", n) % {"n": n}) for n in range(1, MAX_YEARS + 1)]
NEW_OWNER_FIELDS = ("kind", "name", "organisation", "street", "city", "region", "postcode", "country", "phone", "email")


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
    years = forms.TypedChoiceField(label=_("Period"), coerce=int, choices=YEAR_CHOICES, initial=1)
    auth_code = forms.CharField(label=_("Auth code"), max_length=100, required=False, help_text=_("Transfers only."))
    owner = forms.ModelChoiceField(
        label=Role.OWNER.label,
        queryset=DomainContact.objects.none(),
        required=False,
        help_text=_("One of your contacts, or fill in a new owner below."),
    )
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
        # A new contact per role, made with the order (the contact form's fields, all optional
        # here); the administrative, technical and billing roles default to the owner.
        for role in Role.values:
            contact_fields = ContactForm().fields
            for name in NEW_OWNER_FIELDS:
                field = contact_fields[name]
                field.required = False
                if name == "kind":
                    field.initial = ContactKind.PERSON
                self.fields[f"new_{role}_{name}"] = field

    def main_fields(self) -> list[Any]:
        return [f for f in self if not f.name.startswith("new_")]

    def new_contact_fields(self) -> list[tuple[str, str, list[Any]]]:
        """Per role: (role, legend, its new-contact fields)."""
        legends = {
            Role.OWNER: _("New owner contact (when no owner is chosen above)"),
            Role.ADMIN: _("New administrative contact (none chosen and none here: the owner)"),
            Role.TECH: _("New technical contact (none chosen and none here: the owner)"),
            Role.BILLING: _("New billing contact (none chosen and none here: the owner)"),
        }
        return [
            (role, str(legends[Role(role)]), [f for f in self if f.name.startswith(f"new_{role}_")])
            for role in Role.values
        ]

    def new_owner_fields(self) -> list[Any]:
        return [f for f in self if f.name.startswith("new_owner_")]

    def request_data(self) -> dict[str, Any]:
        """The cleaned fields as domains.actions.order_from_request takes them (``new_<role>``
        dicts of a new contact's fields)."""
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("new_")}
        for role in Role.values:
            data[f"new_{role}"] = {name: self.cleaned_data.get(f"new_{role}_{name}") or "" for name in NEW_OWNER_FIELDS}
        return data


class DomainContactsForm(forms.Form):
    """The contacts on a domain (replaced only while it is being processed or stopped)."""

    owner = forms.ModelChoiceField(label=Role.OWNER.label, queryset=DomainContact.objects.none())
    admin = forms.ModelChoiceField(label=Role.ADMIN.label, queryset=DomainContact.objects.none(), required=False)
    tech = forms.ModelChoiceField(label=Role.TECH.label, queryset=DomainContact.objects.none(), required=False)
    billing = forms.ModelChoiceField(label=Role.BILLING.label, queryset=DomainContact.objects.none(), required=False)

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


class ZonePricesForm(forms.Form):
    """Staff's grid of a zone's prices: one field per action and number of years (1-10);
    empty means that action is not sold for that many years."""

    def __init__(self, *args: Any, zone: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {(row.action, row.years): row.amount for row in zone.prices.all()}
        for action in Action.values:
            for years in range(1, MAX_YEARS + 1):
                self.fields[f"{action}_{years}"] = forms.DecimalField(
                    label=f"{Action(action).label}, {years}",
                    required=False,
                    min_value=0,
                    max_digits=14,
                    decimal_places=4,
                    initial=current.get((action, years)),
                    widget=forms.NumberInput(attrs={"step": "0.01", "size": 8}),
                )

    def grid(self) -> list[tuple[int, list[Any]]]:
        """Rows by number of years, one bound field per action (the template's table)."""
        return [(years, [self[f"{action}_{years}"] for action in Action.values]) for years in range(1, MAX_YEARS + 1)]

    def prices(self) -> dict[tuple[str, int], Any]:
        return {
            (action, years): self.cleaned_data.get(f"{action}_{years}")
            for action in Action.values
            for years in range(1, MAX_YEARS + 1)
        }
