"""Staff tools for money: payments (confirm a bank transfer), refunds and corrections.

Payments and events are records of what happened (read-only). Refunds and corrections are
created through their forms, which call ``payments.actions`` — each becomes a new ledger entry
shown to the client; nothing is ever edited or deleted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openbill.core.actors import Actor
from openbill.core.admin import ReadOnlyAdmin, ReadOnlyInline
from openbill.core.errors import DomainError
from openbill.core.money import format_money

from . import actions, gateways
from .models import Correction, Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus, SavedCard, UnknownCharge


class EventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ("received_at", "event_id", "kind")
    show_change_link = False


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("created_at", "amount", "reason", "status", "provider_refund_id", "created_by")
    show_change_link = False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "client", "method", "amount", "currency", "status", "refunded_amount")
    list_filter = ("status", "method")
    search_fields = ("=id", "=client__id", "client__name", "client__email", "reference", "=provider_id")
    list_select_related = ("client",)
    ordering = ("-id",)
    inlines = (EventInline, RefundInline)
    actions = ("confirm_bank_transfer",)

    @admin.action(description=_("Confirm that the bank transfer arrived (credit the balance)"))
    def confirm_bank_transfer(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        actor, credited = Actor.of(request), 0
        for payment in queryset.filter(status=PaymentStatus.PENDING):
            if not gateways.get(payment.method).confirmed_by_staff:
                continue
            if actions.confirm_payment(payment, actor=actor, now=timezone.now()) == "credited":
                credited += 1
        self.message_user(request, gettext("%(n)s payment(s) credited.") % {"n": credited}, messages.SUCCESS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RefundForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Refund
        fields = ("payment", "amount", "reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payment_field = self.fields["payment"]
        assert isinstance(payment_field, forms.ModelChoiceField)
        payment_field.queryset = Payment.objects.filter(status=PaymentStatus.COMPLETED).select_related("client")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        payment, amount = data.get("payment"), data.get("amount")
        if payment is not None and amount is not None:
            if amount <= 0:
                self.add_error("amount", gettext("The amount must be greater than zero."))
            elif amount > payment.refundable_amount:
                self.add_error(
                    "amount",
                    gettext("At most %(amount)s can be refunded.")
                    % {"amount": format_money(payment.refundable_amount, payment.currency)},
                )
            elif amount > payment.client.available_amount:
                self.add_error(
                    "amount", gettext("The client has already spent this money; only the balance can be refunded.")
                )
        return data


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Refund a payment: through the gateway where it can (card), by hand otherwise (bank).

    Saving never calls the gateway (the admin holds a transaction): it records the refund and
    debits the balance; a task asks the provider after the commit (actions.send_refund)."""

    form = RefundForm
    list_display = ("id", "created_at", "payment", "amount", "status", "reason", "provider_refund_id", "created_by")
    list_filter = ("status",)
    list_select_related = ("payment",)
    ordering = ("-id",)
    autocomplete_fields = ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Refund, form: Any, change: bool) -> None:
        try:
            refund = actions.refund_payment(
                obj.payment, amount=obj.amount, reason=obj.reason, actor=Actor.of(request), now=timezone.now()
            )
        except DomainError as exc:
            # The form checked the same rules; a race (the client spent it meanwhile) lands here.
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = refund.pk
        obj.status = refund.status
        if refund.status == RefundStatus.PENDING:
            self.message_user(
                request,
                gettext("The balance is debited; the payment provider is asked for the refund in the background."),
                messages.INFO,
            )


class CorrectionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Correction
        fields = ("client", "amount", "reason")

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(gettext("Enter a non-zero amount."))
        return amount


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A credit (positive) or debit (negative) with its reason: a new ledger entry."""

    form = CorrectionForm
    list_display = ("id", "created_at", "client", "amount", "reason", "created_by")
    search_fields = ("=client__id", "client__name", "reason")
    list_select_related = ("client",)
    ordering = ("-id",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Correction, form: Any, change: bool) -> None:
        try:
            correction = actions.record_correction(
                obj.client, amount=obj.amount, reason=obj.reason, actor=Actor.of(request), now=timezone.now()
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = correction.pk


@admin.register(SavedCard)
class SavedCardAdmin(ReadOnlyAdmin):
    """The clients' saved cards (only the gateway's ids and what identifies them to the client)."""

    list_display = ("id", "client", "brand", "last4", "expiry", "is_default", "created_at", "removed_at")
    list_filter = ("gateway", "is_default")
    search_fields = ("=client__id", "client__email", "=provider_id")
    list_select_related = ("client",)


@admin.register(UnknownCharge)
class UnknownChargeAdmin(ReadOnlyAdmin):
    """Charges at the gateway that no payment accounts for (the daily reconciliation): look into
    each at the gateway's dashboard; nothing was credited."""

    list_display = ("id", "found_at", "gateway", "charge_id", "intent_id", "amount", "currency")
    list_filter = ("gateway",)
