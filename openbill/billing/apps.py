from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "openbill.billing"
    label = "billing"
