"""Virtual servers on a libvirt host or cluster front end.

The connection URI comes from the module instance's settings (``qemu:///system``,
``qemu+ssh://root@host/system`` in production; ``test:///default`` or ``test:///path/node.xml``
in tests and the demo). The ``test:///`` driver keeps its machines in the memory of the process
holding the connection, so connections are opened once per process and kept (the worker holds
them; tests run the module in one process) — STACK.md.

A machine is named ``openbill-<service id>``: every operation looks it up by that name first,
which makes each one idempotent (a repeated ``open`` finds the machine it defined before).
Sizing comes from the service's resources (tariff add-ons): ``ram`` in GiB, ``cpu`` in cores,
``disk`` in GiB. Suspension pauses the machine (its memory stays allocated, so resuming is
instant and the capacity Openbill tracks stays right); deletion destroys and undefines it.
"""

from __future__ import annotations

import contextlib
import re
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import libvirt
from django.utils.translation import gettext_lazy as _

from .base import ConfigField, Module, ModuleError, ServiceSpec, UsageSample, register

libvirt.registerErrorHandler(lambda *_args: None, None)  # errors surface as exceptions, not on stderr

_CONNECTIONS: dict[str, libvirt.virConnect] = {}
_LOCK = threading.Lock()

# libvirt error codes that mean "the host is unreachable or busy": a retry can help.
_TRANSIENT = {
    libvirt.VIR_ERR_NO_CONNECT,
    libvirt.VIR_ERR_SYSTEM_ERROR,
    libvirt.VIR_ERR_RPC,
    libvirt.VIR_ERR_OPERATION_TIMEOUT,
    libvirt.VIR_ERR_INTERNAL_ERROR,
    libvirt.VIR_ERR_AGENT_UNRESPONSIVE,
}

GIB_KIB = 1024 * 1024


def _error(exc: libvirt.libvirtError, what: str) -> ModuleError:
    code = exc.get_error_code()
    return ModuleError(f"libvirt {what}: {exc.get_error_message() or exc}", retryable=code in _TRANSIENT)


def connect(uri: str, secrets: dict[str, Any] | None = None) -> libvirt.virConnect:
    """The process's connection to ``uri``, opened once and reused while it is alive."""
    with _LOCK:
        conn = _CONNECTIONS.get(uri)
        if conn is not None:
            try:
                if conn.isAlive():
                    return conn
            except libvirt.libvirtError:
                pass
        password = (secrets or {}).get("password", "")
        try:
            if password:
                username = (secrets or {}).get("username", "")

                def answer(credentials: list[list[Any]], _data: object) -> int:
                    for cred in credentials:
                        if cred[0] == libvirt.VIR_CRED_AUTHNAME:
                            cred[4] = username
                        elif cred[0] == libvirt.VIR_CRED_PASSPHRASE:
                            cred[4] = password
                    return 0

                auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], answer, None]
                conn = libvirt.openAuth(uri, auth, 0)
            else:
                conn = libvirt.open(uri)
        except libvirt.libvirtError as exc:
            # Never put the secrets in the message: only the URI, which holds none.
            raise ModuleError(f"cannot connect to {uri}: {exc.get_error_message()}", retryable=True) from None
        _CONNECTIONS[uri] = conn
        return conn


def forget_connections() -> None:
    """Drop the cached connections (tests that want a fresh test:/// node)."""
    with _LOCK:
        for conn in _CONNECTIONS.values():
            with contextlib.suppress(libvirt.libvirtError):
                conn.close()
        _CONNECTIONS.clear()


def machine_name(spec: ServiceSpec) -> str:
    # A machine inside a virtual data center has its own name (openbill.vdc), set by Openbill.
    return str(spec.operation_params.get("domain_name") or f"openbill-{spec.service_id}")


def _size(spec: ServiceSpec, resource: str, default: int) -> int:
    value = spec.resources.get(resource)
    try:
        return max(int(Decimal(str(value))), 1) if value not in (None, "") else default
    except ArithmeticError:
        return default


def domain_xml(spec: ServiceSpec, *, uuid: str = "") -> str:
    config = spec.config
    ram_gib = _size(spec, "ram", 1)
    cpus = _size(spec, "cpu", 1)
    disk_gib = _size(spec, "disk", 10)
    domain_type = config.get("domain_type") or ("test" if str(config.get("uri", "")).startswith("test:") else "kvm")
    image_dir = config.get("image_dir") or "/var/lib/libvirt/images"
    network = config.get("network") or "default"
    name = machine_name(spec)
    uuid_line = f"<uuid>{escape(uuid)}</uuid>" if uuid else ""
    hostname = escape(str(spec.parameters.get("hostname", "")))
    metadata, interface_ips = _address_xml(spec)
    backing = ""
    image = str(spec.parameters.get("image") or "")
    if image:
        # The template's image is the backing file of the machine's own disk (copy on write).
        backing = (
            f"\n      <backingStore type='file'><format type='qcow2'/>"
            f"<source file='{escape(image_dir)}/{escape(image)}'/></backingStore>"
        )
    return f"""<domain type='{escape(domain_type)}'>
  <name>{name}</name>{uuid_line}
  <title>{hostname}</title>
  <description>Openbill service {spec.service_id} ({escape(spec.name)}); size {disk_gib} GiB disk</description>{metadata}
  <memory unit='KiB'>{ram_gib * GIB_KIB}</memory>
  <currentMemory unit='KiB'>{ram_gib * GIB_KIB}</currentMemory>
  <vcpu placement='static'>{cpus}</vcpu>
  <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{escape(image_dir)}/{name}.qcow2'/>{backing}
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'><source network='{escape(network)}'/>{interface_ips}</interface>
  </devices>
</domain>"""


METADATA_NS = "https://openbill.dev/xmlns/network/1"


def _address_xml(spec: ServiceSpec) -> tuple[str, str]:
    """The service's addresses in the domain's metadata (``<ob:network>`` in METADATA_NS, which
    the guest's provisioning reads) and, when the instance's ``interface_addresses`` setting is
    on (LXC, ethernet networks), as the interface's ``<ip>`` and ``<route>`` elements."""
    if not spec.addresses:
        return "", ""
    rows = []
    interface = []
    gateways: dict[str, str] = {}
    for item in spec.addresses:
        family = "ipv4" if int(item.get("version", 4)) == 4 else "ipv6"
        address, prefix = escape(str(item["address"])), int(item.get("prefix_length", 32))
        gateway = escape(str(item.get("gateway") or ""))
        main = "yes" if item.get("main") else "no"
        rows.append(
            f"<ob:ip address='{address}' prefix='{prefix}' gateway='{gateway}' family='{family}' main='{main}'/>"
        )
        interface.append(f"<ip address='{address}' family='{family}' prefix='{prefix}'/>")
        if gateway and item.get("main"):
            gateways[family] = gateway
    metadata = f"\n  <metadata><ob:network xmlns:ob='{METADATA_NS}'>{''.join(rows)}</ob:network></metadata>"
    if not spec.config.get("interface_addresses"):
        return metadata, ""
    for family, gateway in gateways.items():
        default = "0.0.0.0" if family == "ipv4" else "::"  # noqa: S104 - the default route, not a listener
        interface.append(f"<route family='{family}' address='{default}' prefix='0' gateway='{gateway}'/>")
    return metadata, "".join(interface)


@register
class LibvirtModule(Module):
    name = "libvirt"
    label = str(_("libvirt virtual servers"))
    config_schema = {
        "uri": ConfigField(str(_("Connection URI")), required=True, default="qemu:///system"),
        "network": ConfigField(str(_("Network")), default="default"),
        "image_dir": ConfigField(str(_("Disk image folder")), default="/var/lib/libvirt/images"),
        "interface_addresses": ConfigField(
            str(_("Write the IP addresses into the interface definition (LXC, ethernet networks)")), default=""
        ),
        "recreate_missing": ConfigField(
            str(_("Re-create missing machines (test:/// driver in the demo only)")), default=""
        ),
        "username": ConfigField(str(_("User name")), secret=True),
        "password": ConfigField(str(_("Password")), secret=True),
    }
    capabilities = frozenset({"statistics", "check_connection", "node_capacity", "reboot"})
    tracked_resources = ("ram", "cpu", "disk")

    # --- helpers ------------------------------------------------------------------------------
    def _conn(self, spec: ServiceSpec) -> libvirt.virConnect:
        uri = spec.config.get("uri")
        if not uri:
            raise ModuleError("the module has no connection URI", retryable=False)
        return connect(str(uri), spec.secrets)

    def _find(self, spec: ServiceSpec) -> libvirt.virDomain | None:
        conn = self._conn(spec)
        try:
            return conn.lookupByName(machine_name(spec))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise _error(exc, "lookup") from None

    def _require(self, spec: ServiceSpec) -> libvirt.virDomain:
        dom = self._find(spec)
        if dom is None and spec.config.get("recreate_missing"):
            # Only for the test:/// driver of the demo, whose machines live in the memory of the
            # worker process and vanish when it restarts: define and start the machine again.
            self.open(spec)
            dom = self._find(spec)
        if dom is None:
            raise ModuleError(f"machine {machine_name(spec)} does not exist", retryable=False)
        return dom

    @staticmethod
    def _state(dom: libvirt.virDomain) -> int:
        return int(dom.state()[0])

    def _result(self, dom: libvirt.virDomain) -> dict[str, Any]:
        return {"remote_id": dom.name(), "uuid": dom.UUIDString(), "state": self._state(dom)}

    # --- operations ---------------------------------------------------------------------------
    def open(self, spec: ServiceSpec) -> dict[str, Any]:
        dom = self._find(spec)
        try:
            if dom is None:
                dom = self._conn(spec).defineXML(domain_xml(spec))
            if not dom.isActive():
                dom.create()
        except libvirt.libvirtError as exc:
            raise _error(exc, "define/start") from None
        return self._result(dom)

    def suspend(self, spec: ServiceSpec) -> dict[str, Any]:
        dom = self._require(spec)
        try:
            if self._state(dom) == libvirt.VIR_DOMAIN_RUNNING:
                dom.suspend()
        except libvirt.libvirtError as exc:
            raise _error(exc, "suspend") from None
        return self._result(dom)

    def resume(self, spec: ServiceSpec) -> dict[str, Any]:
        dom = self._require(spec)
        try:
            state = self._state(dom)
            if state == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()
            elif not dom.isActive():
                dom.create()
        except libvirt.libvirtError as exc:
            raise _error(exc, "resume") from None
        return self._result(dom)

    def reboot(self, spec: ServiceSpec) -> dict[str, Any]:
        dom = self._require(spec)
        try:
            if dom.isActive():
                if self._state(dom) == libvirt.VIR_DOMAIN_PAUSED:
                    dom.resume()
                dom.reboot(0)
            else:
                dom.create()
        except libvirt.libvirtError as exc:
            raise _error(exc, "reboot") from None
        return self._result(dom)

    def close(self, spec: ServiceSpec) -> dict[str, Any]:
        dom = self._find(spec)
        if dom is None:
            return {"remote_id": ""}  # already gone: deleting twice is harmless
        try:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        except libvirt.libvirtError as exc:
            raise _error(exc, "delete") from None
        return {"remote_id": ""}

    def set_params(self, spec: ServiceSpec) -> dict[str, Any]:
        """Change of resources: redefine the machine with the new size; a running machine is
        restarted so that the new size applies (a paused one stays paused until resumed)."""
        dom = self._require(spec)
        try:
            was_running = self._state(dom) == libvirt.VIR_DOMAIN_RUNNING
            was_active = bool(dom.isActive())
            dom = self._conn(spec).defineXML(domain_xml(spec, uuid=dom.UUIDString()))
            if was_active:
                dom.destroy()
                dom.create()
                if not was_running:
                    dom.suspend()
        except libvirt.libvirtError as exc:
            raise _error(exc, "resize") from None
        info = dom.info()
        return {**self._result(dom), "ram_kib": int(info[1]), "cpus": int(info[3])}

    def sync(self, spec: ServiceSpec) -> dict[str, Any]:
        dom = self._find(spec)
        if dom is None:
            return {"exists": False}
        info = dom.info()
        return {**self._result(dom), "exists": True, "ram_kib": int(info[1]), "cpus": int(info[3])}

    # --- capabilities -------------------------------------------------------------------------
    def statistics(self, spec: ServiceSpec, since: datetime, until: datetime) -> list[UsageSample]:
        """CPU time and network bytes of the machine: cumulative counters read now (at
        ``until``); see UsageSample and usage_between."""
        dom = self._require(spec)
        try:
            cpu_ns = Decimal(0)
            if dom.isActive():
                cpu_ns = Decimal(int(dom.getCPUStats(True)[0].get("cpu_time", 0)))
            rx = tx = 0
            for dev in re.findall(r"<interface\b.*?<target dev='([^']+)'", dom.XMLDesc(), flags=re.DOTALL):
                if not dom.isActive():
                    break
                stats = dom.interfaceStats(dev)
                rx += int(stats[0])
                tx += int(stats[4])
        except libvirt.libvirtError as exc:
            raise _error(exc, "statistics") from None
        return [
            UsageSample("cpu_time", cpu_ns / Decimal(10**9), "seconds", since, until, cumulative=True),
            UsageSample("rx_bytes", Decimal(rx), "bytes", since, until, cumulative=True),
            UsageSample("tx_bytes", Decimal(tx), "bytes", since, until, cumulative=True),
        ]

    def check_connection(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        conn = connect(str(config.get("uri", "")), secrets)
        try:
            return {"hostname": conn.getHostname(), "version": conn.getLibVersion()}
        except libvirt.libvirtError as exc:
            raise _error(exc, "check") from None

    def node_capacity(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Decimal]:
        conn = connect(str(config.get("uri", "")), secrets)
        try:
            info = conn.getInfo()
        except libvirt.libvirtError as exc:
            raise _error(exc, "node info") from None
        return {"ram": Decimal(int(info[1])) / 1024, "cpu": Decimal(int(info[2]))}
