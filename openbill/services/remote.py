"""The port through which services reach the modules that carry out their operations.

Services own a service's status and open its operations (``actions.start_operation``); the
provisioning app carries them out on the remote system and reports back by calling services'
actions. So that the dependency runs one way (provisioning imports services, never the
reverse), provisioning plugs its queue in here when Django starts (ProvisioningConfig.ready).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from openbill.core.actors import Actor
from openbill.core.ports import Port


class Queue(Protocol):
    def enqueue(self, service: Any, operation: str, *, actor: Actor, now: datetime, params: dict[str, Any]) -> Any:
        """Record the remote work of an opened operation; it runs after the commit."""

    def renewal_params(self, service: Any, period: str) -> dict[str, Any] | None:
        """The parameters of a remote renewal when the service's module keeps a paid period of
        its own (a domain registrar), else None."""

    def prolonging_kinds(self) -> set[str]:
        """The module kinds that renew something remotely after a renewal is charged."""


# Plugged in by ProvisioningConfig.ready.
queue: Port[Queue] = Port("the provisioning queue (openbill.provisioning)")
