"""Django app configuration of services."""

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "openbill.services"
    label = "services"

    def ready(self) -> None:
        # Task modules import models, importable only once the apps are loaded: imported here.
        from .automation.base import sweep_tasks
        from .sweeps import TASKS

        sweep_tasks.plug(TASKS)
