"""Django app configuration of payments."""

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "openbill.payments"
    label = "payments"

    def ready(self) -> None:
        # Function-local: these modules import models, which only exist once apps are loaded.
        from . import actions, paypal_flow, tasks
        from .gateways import paypal

        actions.refund_queue.plug(tasks.queue_refund)
        paypal.approval.plug(paypal_flow.approval_url)
