"""Forms of the ordering, edit and top-up pages, built from a tariff's periods, add-ons and
the product's parameters; and how an action's error lands on the field it names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openbill.catalog.display import addon_label, quantity_text
from openbill.catalog.models import Addon, ValueType
from openbill.core.errors import DomainError
from openbill.core.money import format_money
from openbill.core.timeutil import Period
from openbill.orders.pricing import CLIENT_BILLING_TYPES
from openbill.payments import actions as payments
from openbill.services.models import Service


def field_for(domain_field: str | None) -> str | None:
    """Map an action's field name (``addons.ram``) to the form's (``addon_ram``)."""
    if not domain_field:
        return None
    if domain_field.startswith("addons."):
        return "addon_" + domain_field.split(".", 1)[1]
    if domain_field.startswith("parameters."):
        return "param_" + domain_field.split(".", 1)[1]
    return domain_field


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    name = field_for(exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def client_addons(tariff: Any) -> Iterator[tuple[str, str, Addon]]:
    """(form field name, label, add-on) of each add-on of ``tariff`` that the client chooses."""
    for addon in tariff.addons.all():
        if addon.billing_type in CLIENT_BILLING_TYPES:
            yield f"addon_{addon.resource}", addon_label(addon), addon


def filled_addons(names: list[str], values: Mapping[str, Any]) -> dict[str, Any]:
    """resource → value of the add-on fields given a value."""
    return {name.removeprefix("addon_"): values.get(name) for name in names if values.get(name) not in (None, "")}


def _quantity_field(addon: Addon, label: str) -> forms.Field:
    attrs = {"min": f"{addon.minimum.normalize():f}", "step": f"{addon.step.normalize():f}"}
    if addon.maximum is not None:
        attrs["max"] = f"{addon.maximum.normalize():f}"
    return forms.CharField(
        label=label,
        required=False,
        initial=f"{max(addon.minimum, addon.included).normalize():f}",
        widget=forms.NumberInput(attrs=attrs),
        help_text=_("%(included)s included") % {"included": quantity_text(addon.included, addon.unit)}
        if addon.included
        else "",
    )


class OrderForm(forms.Form):
    """A tariff's order form, built from its periods, add-ons and the product's parameters."""

    request_key = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=200, required=False)
    promo_code = forms.CharField(label=gettext_lazy("Promo code"), max_length=40, required=False)

    def __init__(self, tariff: Any, currency: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tariff = tariff
        self.fields["period"] = forms.ChoiceField(
            label=_("Period"),
            choices=[
                (p.period, f"{Period(p.period).label} — {format_money(p.price, currency)}") for p in tariff.prices.all()
            ],
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        )
        self.addon_fields: list[str] = []
        for name, label, addon in client_addons(tariff):
            if addon.value_type == ValueType.ENUM:
                items = [(i.code, i.name) for i in addon.items.all() if i.enabled]
                self.fields[name] = forms.ChoiceField(label=label, choices=items, required=False)
            elif addon.value_type == ValueType.BOOLEAN:
                self.fields[name] = forms.BooleanField(
                    label=label, required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
                )
            else:
                self.fields[name] = _quantity_field(addon, label)
            self.addon_fields.append(name)
        self.param_fields: list[str] = []
        for parameter in tariff.product_type.parameters.all():
            name = f"param_{parameter.code}"
            if parameter.choices:
                self.fields[name] = forms.ChoiceField(
                    label=parameter.label, choices=[("", "—"), *parameter.choice_items()], required=False
                )
            else:
                self.fields[name] = forms.CharField(label=parameter.label, required=False, max_length=4000)
            self.param_fields.append(name)
        if tariff.quick_order:
            self.fields["quick"] = forms.BooleanField(
                label=_("Quick order: I will give the parameters after payment"),
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )

    @staticmethod
    def initial_for(tariff: Any) -> dict[str, Any]:
        """A fresh request key (a repeated submit orders once) and the tariff's first period."""
        initial = {"request_key": uuid.uuid4().hex}
        first = next(iter(tariff.prices.all()), None)
        if first is not None:
            initial["period"] = first.period
        return initial

    def addons_so_far(self) -> dict[str, Any] | None:
        """The add-on values typed so far, unchecked (None before the first submit)."""
        return filled_addons(self.addon_fields, self.data) if self.is_bound else None

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            name: ("1" if data.get(name) else "0") if isinstance(data.get(name), bool) else data.get(name)
            for name in self.addon_fields
        }
        parameters = {name.removeprefix("param_"): data.get(name) or "" for name in self.param_fields}
        return {
            "tariff": self.tariff.pk,
            "period": data.get("period"),
            "addons": filled_addons(self.addon_fields, values),
            "parameters": parameters,
            "quick": bool(data.get("quick")),
            "promo_code": (data.get("promo_code") or "").strip(),
        }


class EditForm(forms.Form):
    auto_renew = forms.BooleanField(
        label=gettext_lazy("Auto-renewal"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)
    expected_total = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, service: Service, tariffs: list[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        current = next(t for t in tariffs if t.pk == service.tariff_id)
        self.fields["period"] = forms.ChoiceField(
            label=_("Auto-renewal period"),
            choices=[(p.period, Period(p.period).label) for p in current.prices.all()]
            if service.period != Period.DAY
            else [(Period.DAY, Period.DAY.label)],
        )
        self.fields["tariff"] = forms.ChoiceField(label=_("Tariff"), choices=[(t.pk, t.name) for t in tariffs])
        self.addon_fields: list[str] = []
        present = {line.addon_id: line.enum_item for line in service.addons.all() if line.enum_item is not None}
        for name, label, addon in client_addons(current):
            if addon.value_type == ValueType.ENUM:
                # The service's present item is offered even if retired, so that a form the
                # client does not touch submits it and nothing changes.
                mine = present.get(addon.pk)
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    choices=[(i.code, i.name) for i in addon.items.all() if i.enabled or (mine and i.pk == mine.pk)],
                    required=False,
                )
            else:
                self.fields[name] = forms.CharField(label=label, required=False, widget=forms.NumberInput())
            self.addon_fields.append(name)

    @staticmethod
    def initial_for(service: Service) -> dict[str, Any]:
        """The service as it is, and a fresh request key (a repeated confirm charges once)."""
        initial: dict[str, Any] = {
            "auto_renew": service.auto_renew,
            "period": service.period,
            "tariff": service.tariff_id,
            "request_key": uuid.uuid4().hex,
        }
        for line in service.addons.all():
            value = line.enum_item.code if line.enum_item else f"{line.quantity.normalize():f}"
            initial[f"addon_{line.addon.resource}"] = value
        return initial

    def change(self) -> tuple[int, dict[str, Any] | None]:
        """The tariff asked for, and the add-ons: a tariff change keeps the add-ons by resource;
        the form's add-on fields are the current tariff's, so they apply only when it stays."""
        tariff = int(self.cleaned_data["tariff"])
        if tariff != self.service.tariff_id:
            return tariff, None
        return tariff, filled_addons(self.addon_fields, self.cleaned_data)


class TopUpForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Payment method"), widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )
    amount = forms.CharField(
        label=gettext_lazy("Amount"), widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"})
    )
    order = forms.IntegerField(widget=forms.HiddenInput, required=False)
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, provider_id: int | None = None, currency: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method = self.fields["method"]
        assert isinstance(method, forms.ChoiceField)
        method.choices = [(m.code, m.label) for m in payments.available_methods(provider_id, currency)]

    @staticmethod
    def initial_from(query: Mapping[str, Any]) -> dict[str, Any]:
        """The amount and order a link asks for (an order's deficit), the card, a fresh request key."""
        return {
            "amount": query.get("amount", ""),
            "order": query.get("order") or None,
            "method": "card",
            "request_key": uuid.uuid4().hex,
        }
