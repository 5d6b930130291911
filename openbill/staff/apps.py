"""Django app configuration of staff pages."""

from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "openbill.staff"
    label = "staff"
