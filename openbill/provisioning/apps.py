"""Django app configuration of provisioning."""

from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "openbill.provisioning"
    label = "provisioning"
