"""Django app configuration of client area."""

from django.apps import AppConfig


class ClientareaConfig(AppConfig):
    name = "openbill.clientarea"
    label = "clientarea"
