"""The module interface.

A module talks to one kind of remote system. It receives plain data (``ServiceSpec``), returns
plain results, and never writes Openbill's tables. Errors say whether a retry can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


class ModuleError(Exception):
    """The remote system refused or failed. ``retryable`` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class NeedsStaff(Exception):
    """The operation is a person's work (manual module): it waits in the staff queue."""


class NoCapacity(Exception):
    """The module instance cannot take the service (activation → Not available)."""


@dataclass(frozen=True)
class ServiceSpec:
    """What a module knows of a service: plain values only."""

    service_id: int
    name: str
    remote_id: str
    period: str
    parameters: dict[str, Any]
    resources: dict[str, Any]
    idempotency_key: str
    config: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)


class Module:
    """Base class: subclasses implement the operations their remote system supports."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    config_schema: ClassVar[dict[str, dict[str, Any]]] = {}  # field -> {"secret": bool, "label": str}
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def open(self, spec: ServiceSpec) -> dict[str, Any]:
        raise NeedsStaff("open")

    def suspend(self, spec: ServiceSpec) -> dict[str, Any]:
        raise NeedsStaff("suspend")

    def resume(self, spec: ServiceSpec) -> dict[str, Any]:
        raise NeedsStaff("resume")

    def reboot(self, spec: ServiceSpec) -> dict[str, Any]:
        raise NeedsStaff("reboot")

    def close(self, spec: ServiceSpec) -> dict[str, Any]:
        raise NeedsStaff("close")

    def set_params(self, spec: ServiceSpec) -> dict[str, Any]:
        raise NeedsStaff("set_params")

    def prolong(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}

    def transfer(self, spec: ServiceSpec) -> dict[str, Any]:
        raise NeedsStaff("transfer")

    def sync(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}


REGISTRY: dict[str, type[Module]] = {}


def register(cls: type[Module]) -> type[Module]:
    REGISTRY[cls.name] = cls
    return cls


def get_module(name: str) -> Module:
    from . import manual  # noqa: F401  (built-ins register on import)

    try:
        return REGISTRY[name]()
    except KeyError:
        raise ModuleError(f"unknown module {name!r}", retryable=False) from None


# The module method that carries out each operation.
OPERATION_METHOD = {
    "activation": "open",
    "suspension": "suspend",
    "resume": "resume",
    "reboot": "reboot",
    "renewal": "prolong",
    "transfer": "transfer",
    "deletion": "close",
    "reconfiguration": "set_params",
}
