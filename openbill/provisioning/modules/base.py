"""The module interface (DESIGN.md §6).

A module talks to one kind of remote system. It receives plain data (``ServiceSpec``: the
service's parameters and resources plus the module instance's settings and decrypted secrets),
returns plain results, and never writes Openbill's tables. Errors say whether a retry can help:

- ``ModuleError(retryable=True)``: a timeout, a refused connection — the task is retried with
  backoff and the service's status does not change;
- ``ModuleError(retryable=False)``: the remote system refused for good — the task goes to the
  staff queue with the error and the service stays visibly In progress;
- ``NoCapacity``: the instance cannot take the service (activation → Not available);
- ``NeedsStaff``: the operation is a person's work (the manual module).

Operations receive the task's idempotency key in ``spec.idempotency_key``; a module must make a
repeated call with the same key harmless (a worker may die after the remote call and before
recording it; the reaper hands the task to another worker).

Optional capabilities are listed in ``capabilities``; callers check ``"statistics" in
module.capabilities`` before calling ``statistics``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
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
class ConfigField:
    """One connection setting of a module. Secrets are encrypted at rest and never shown."""

    label: str
    secret: bool = False
    required: bool = False
    default: str = ""
    help: str = ""


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
    operation_params: dict[str, Any] = field(default_factory=dict)
    module_id: int | None = None
    # What Openbill keeps of earlier results for the module (e.g. the issued certificate and
    # the key it generated), decrypted for the call.
    stored: dict[str, Any] = field(default_factory=dict)
    # The service's IP addresses (ipam): {"address", "version", "main", "prefix_length",
    # "gateway"}, the main IPv4 first.
    addresses: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        service: Any,
        module: Any,
        *,
        idempotency_key: str,
        resources: dict[str, Any],
        secrets: dict[str, Any] | None = None,
        **rest: Any,
    ) -> ServiceSpec:
        """The service's own values and its instance's settings (``module``, a
        ProcessingModule, or None); ``secrets`` when the caller has decrypted them already."""
        return cls(
            service_id=service.pk,
            name=service.name,
            remote_id=service.remote_id,
            period=service.period,
            parameters=dict(service.parameters),
            resources=resources,
            idempotency_key=idempotency_key,
            config=dict(module.config) if module else {},
            secrets=secrets if secrets is not None else (module.get_secrets() if module else {}),
            module_id=module.pk if module else None,
            **rest,
        )


@dataclass(frozen=True)
class UsageSample:
    """One usage reading of a service, as the ``statistics`` capability returns it.

    ``cumulative=False``: ``quantity`` was used during ``[start, end)``.
    ``cumulative=True``: ``quantity`` is a counter's total at ``end`` since the remote object
    started (libvirt's CPU time and interface byte counters work this way); the caller turns two
    consecutive readings into usage with ``usage_between``. ``start`` is then the earliest moment
    the counter is known to cover (the ``since`` the caller asked for).

    Metrics of the built-in modules: ``cpu_time`` (unit ``seconds``), ``rx_bytes`` and
    ``tx_bytes`` (unit ``bytes``, summed over the machine's interfaces).
    """

    metric: str
    quantity: Decimal
    unit: str
    start: datetime
    end: datetime
    cumulative: bool = False


def usage_between(previous: Decimal | None, current: Decimal) -> Decimal:
    """Usage between two readings of a cumulative counter.

    A reading below the previous one means the counter restarted (the machine was restarted or
    re-created): the usage since then is the new reading itself. The first reading (``previous``
    is None) only sets the baseline: it counts as zero usage, because nothing says over which
    period it accumulated.
    """
    if previous is None:
        return Decimal(0)
    if current < previous:
        return current
    return current - previous


class Module:
    """Base class: subclasses implement the operations their remote system supports.

    The default of every operation is "a person does it" (``NeedsStaff``), so a module that
    lacks one still lands in the staff queue instead of failing; ``prolong`` and ``sync`` are
    local-only by default (most systems have no remote notion of a paid period).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    config_schema: ClassVar[dict[str, ConfigField]] = {}
    capabilities: ClassVar[frozenset[str]] = frozenset()
    # Resources whose allocation Openbill tracks against ProcessingModule.capacity.
    tracked_resources: ClassVar[tuple[str, ...]] = ()

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

    # --- optional capabilities ----------------------------------------------------------------
    def statistics(self, spec: ServiceSpec, since: datetime, until: datetime) -> list[UsageSample]:
        """Usage of the service (capability ``statistics``)."""
        raise NotImplementedError

    def check_connection(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        """Reach the remote system; return what it reports (capability ``check_connection``)."""
        raise NotImplementedError

    def node_capacity(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Decimal]:
        """What the remote system reports it has, to cross-check the configured limits
        (capability ``node_capacity``)."""
        raise NotImplementedError


REGISTRY: dict[str, type[Module]] = {}


def register(cls: type[Module]) -> type[Module]:
    REGISTRY[cls.name] = cls
    return cls


def load_builtins() -> None:
    """Built-ins register on import, each loaded by name like any plug-in (the registry does not
    import its modules: they import it); libvirt and ACME only when their libraries are present."""
    import importlib
    import importlib.util
    import logging

    for name in ("manual", "libvirt_vm", "acme_ssl", "epp"):
        qualified = f"{__package__}.{name}"
        if importlib.util.find_spec(qualified) is None:
            continue
        try:
            importlib.import_module(qualified)
        except ImportError as exc:  # pragma: no cover - a deployment without the library
            logging.getLogger(__name__).warning("module %s unavailable: %s", name, exc)


def get_module(name: str) -> Module:
    load_builtins()
    try:
        return REGISTRY[name]()
    except KeyError:
        raise ModuleError(f"unknown module {name!r}", retryable=False) from None


def module_choices() -> list[tuple[str, str]]:
    load_builtins()
    return [(name, cls.label or name) for name, cls in sorted(REGISTRY.items())]


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
