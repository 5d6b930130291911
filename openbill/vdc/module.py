"""The processing module of a virtual data center on a libvirt host (``libvirt_vdc``).

A VDC is a resource pool, not a machine: activating it only checks the host; its machines are
libvirt domains made by the libvirt module (``openbill-vdc<service>-<machine>``, see
``runner.machine_spec``). Suspending the VDC powers off every one of them (their state is not
kept, as in BILLmanager: after a resume they stay stopped until the client starts them);
deleting it destroys and undefines them. Both find the machines by name prefix, so a repeated
call is harmless.
"""

from __future__ import annotations

from typing import Any

import libvirt
from django.utils.translation import gettext_lazy as _

from openbill.provisioning.modules.base import ModuleError, ServiceSpec, register
from openbill.provisioning.modules.libvirt_vm import LibvirtModule, _error


def domain_prefix(service_id: int) -> str:
    return f"openbill-vdc{service_id}-"


@register
class LibvirtVdcModule(LibvirtModule):
    name = "libvirt_vdc"
    label = str(_("libvirt virtual data centers"))
    capabilities = frozenset({"check_connection", "node_capacity"})

    def _machines(self, spec: ServiceSpec) -> list[libvirt.virDomain]:
        prefix = domain_prefix(spec.service_id)
        try:
            return [d for d in self._conn(spec).listAllDomains() if d.name().startswith(prefix)]
        except libvirt.libvirtError as exc:
            raise _error(exc, "list") from None

    # --- the VDC itself -----------------------------------------------------------------------
    def open(self, spec: ServiceSpec) -> dict[str, Any]:
        self._conn(spec)  # the host must answer; the pool itself is Openbill's accounting
        return {"remote_id": f"vdc-{spec.service_id}"}

    def suspend(self, spec: ServiceSpec) -> dict[str, Any]:
        stopped = []
        for dom in self._machines(spec):
            try:
                if dom.isActive():
                    dom.destroy()
                    stopped.append(dom.name())
            except libvirt.libvirtError as exc:
                raise _error(exc, "power off") from None
        return {"stopped": stopped}

    def resume(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}  # the machines stay stopped; the client starts them

    def reboot(self, spec: ServiceSpec) -> dict[str, Any]:
        raise ModuleError("a virtual data center is not rebooted; its machines are", retryable=False)

    def close(self, spec: ServiceSpec) -> dict[str, Any]:
        for dom in self._machines(spec):
            try:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except libvirt.libvirtError as exc:
                raise _error(exc, "delete") from None
        return {"remote_id": ""}

    def set_params(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}  # a larger or smaller pool changes no machine

    def sync(self, spec: ServiceSpec) -> dict[str, Any]:
        return {"exists": True, "machines": len(self._machines(spec))}

    # --- one machine of the VDC (the spec names the domain in operation_params) ---------------
    def stop_machine(self, spec: ServiceSpec) -> dict[str, Any]:
        """Power the machine off (the domain stays defined); a machine the host does not know
        is off already (the demo's test driver forgets its machines when the worker restarts)."""
        dom = self._find(spec)
        if dom is None:
            return {"remote_id": ""}
        try:
            if dom.isActive():
                dom.destroy()
        except libvirt.libvirtError as exc:
            raise _error(exc, "power off") from None
        return self._result(dom)
