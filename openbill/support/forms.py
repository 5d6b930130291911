"""Forms of support, shared by the client area and the staff pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AbuseAction, Department, Priority, TicketStatus


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the checks (count, size, type) are support.files'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        return list(data) if isinstance(data, list | tuple) else [data]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(
        label=_("Attachments"),
        help_text=_("Up to 5 files of 10 MB: images, PDF, text, logs, archives."),
    )


class TicketForm(ReplyForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False, empty_label=None
    )
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL, required=False)

    field_order = ["subject", "department", "service", "priority", "body", "attachments"]

    def __init__(self, *args: Any, client: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department_field = self.fields["department"]
        assert isinstance(department_field, forms.ModelChoiceField)
        department_field.queryset = Department.objects.filter(provider=client.provider_id, is_abuse=False)
        first = department_field.queryset.order_by("position", "name").first()
        if first is not None and not self.is_bound:
            self.initial.setdefault("department", first.pk)
        service_field = self.fields["service"]
        assert isinstance(service_field, forms.TypedChoiceField)
        service_field.choices = [("", _("A general question"))] + [(s.pk, f"#{s.pk} {s.name}") for s in services]


class StaffTicketForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class AbuseReportForm(forms.Form):
    client = forms.IntegerField(label=_("Client id"), min_value=1)
    service = forms.IntegerField(label=_("Service id"), min_value=1, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.CharField(label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    score = forms.IntegerField(label=_("Score"), min_value=0, max_value=1_000_000)
    deadline = forms.DateTimeField(
        label=_("Correction deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    action = forms.ChoiceField(label=_("Action after the deadline"), choices=AbuseAction.choices)
    attachments = MultipleFileField(label=_("Evidence files"))
