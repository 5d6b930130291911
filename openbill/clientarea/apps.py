from django.apps import AppConfig


class ClientareaConfig(AppConfig):
    name = "openbill.clientarea"
    label = "clientarea"
