"""Django app configuration of services."""

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "openbill.services"
    label = "services"
