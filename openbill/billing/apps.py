"""Django app configuration of billing."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "openbill.billing"
    label = "billing"
