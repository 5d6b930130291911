"""Django app configuration of metering."""

from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "openbill.metering"
    label = "metering"
