from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openbill.core"
    label = "core"
