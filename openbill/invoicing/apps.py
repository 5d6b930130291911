from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "openbill.invoicing"
    label = "invoicing"
    verbose_name = _("Invoices and taxes")

    def ready(self) -> None:
        # Local: actions import models, which app loading allows only from ready().
        from openbill.billing.actions import credit_documents

        from .actions import issue_balance_credit_note

        credit_documents.plug(issue_balance_credit_note)
