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


class Queue(Protocol):
    def enqueue(self, service: Any, operation: str, *, actor: Actor, now: datetime, params: dict[str, Any]) -> Any:
        """Record the remote work of an opened operation; it runs after the commit."""

    def renewal_params(self, service: Any, period: str) -> dict[str, Any] | None:
        """The parameters of a remote renewal when the service's module keeps a paid period of
        its own (a domain registrar), else None."""

    def prolonging_kinds(self) -> set[str]:
        """The module kinds that renew something remotely after a renewal is charged."""


_queue: Queue | None = None


def plug(queue: Queue) -> None:
    global _queue
    _queue = queue


def queue() -> Queue:
    if _queue is None:
        raise RuntimeError("No provisioning queue is plugged in: is openbill.provisioning installed?")
    return _queue
