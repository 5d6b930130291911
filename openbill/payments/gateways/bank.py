"""Bank transfer: the client gets the provider's details and a reference; staff confirm the
money arrived (admin action or staff page), and only then is the balance credited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openbill.core.money import format_money

from .base import Gateway, StartResult, register

if TYPE_CHECKING:
    from ..models import Payment


@register
class BankTransfer(Gateway):
    code = "bank"
    label = gettext_lazy("Bank transfer")
    confirmed_by_staff = True

    def start(self, payment: Payment, *, return_url: str) -> StartResult:
        details = payment.client.provider.bank_details.strip() or _("Ask support for the bank details.")
        text = _("Transfer %(amount)s to:\n%(details)s\nReference: %(reference)s") % {
            "amount": format_money(payment.amount, payment.currency),
            "details": details,
            "reference": f"OB-{payment.pk}-{str(payment.reference)[:8]}",
        }
        return StartResult(instructions=text)
