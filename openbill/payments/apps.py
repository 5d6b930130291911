"""Django app configuration of payments."""

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "openbill.payments"
    label = "payments"

    def ready(self) -> None:
        # Function-local: these modules import models, which only exist once apps are loaded.
        from openbill.services.automation import notices

        from . import actions, cards, paypal_flow, tasks
        from .gateways import paypal

        actions.refund_queue.plug(tasks.queue_refund)
        paypal.approval.plug(paypal_flow.approval_url)
        notices.autopay_card.plug(cards.autopay_card)
