"""Django app configuration of clients."""

from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "openbill.clients"
    label = "clients"
