"""Django app configuration of payments."""

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "openbill.payments"
    label = "payments"
