from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "openbill.support"
    label = "support"
