"""Django app configuration of provisioning."""

from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "openbill.provisioning"
    label = "provisioning"

    def ready(self) -> None:
        # Models are importable only once the apps are loaded: imported here, not at the top.
        from openbill.services import remote

        from .operations import QUEUE

        remote.queue.plug(QUEUE)
