"""What a module is told of a service (its ServiceSpec). Apart from ``actions`` so that the
apps whose actions provisioning calls back (domains) can build a spec without importing it."""

from __future__ import annotations

from typing import Any

from openbill.ipam.selectors import spec_addresses
from openbill.services.selectors import resources_of

from .models import Certificate, ProcessingModule, ProvisioningTask
from .modules.base import ServiceSpec


def stored_for(service: Any) -> dict[str, Any]:
    """What Openbill keeps from earlier results, for the module (decrypted)."""
    certificate = Certificate.objects.filter(service_id=service.pk).first()
    if certificate is None:
        return {}
    return {
        "certificate": certificate.certificate_pem,
        "chain": certificate.chain_pem,
        "private_key": certificate.private_key_pem(),
    }


def _spec(
    service: Any, module: ProcessingModule | None, *, idempotency_key: str, params: dict[str, Any]
) -> ServiceSpec:
    """What the module is told of the service, with ``module``'s settings."""
    return ServiceSpec.of(
        service,
        module,
        idempotency_key=idempotency_key,
        resources=resources_of(service),
        stored=stored_for(service),
        operation_params=dict(params),
        addresses=spec_addresses(service.pk),
    )


def spec_for(task: ProvisioningTask) -> ServiceSpec:
    """The spec of one operation: its instance, its idempotency key and parameters."""
    return _spec(task.service, task.module, idempotency_key=task.idempotency_key, params=task.params)


def service_spec(service: Any) -> ServiceSpec:
    """A spec outside any operation (statistics, Whois): the attached instance's settings."""
    return _spec(service, service.module, idempotency_key=f"{service.pk}:read", params={})
