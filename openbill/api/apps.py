"""Django app configuration of API."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "openbill.api"
    label = "api"
