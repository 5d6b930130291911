"""Django app configuration of catalog."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "openbill.catalog"
    label = "catalog"

    def ready(self) -> None:
        from . import signals

        signals.connect()
