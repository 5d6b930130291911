"""Virtual data centers: staff's machine templates and the machines a client runs in a VDC.

A VDC is a service of a product type of kind ``vdc``; its resource pool is the service's size
(tariff add-ons ``cpu``, ``ram`` GiB, ``disk`` GiB, ``machines``, ``ipv4``; see
``selectors.pool_of``). Each machine is a libvirt domain on the VDC's module instance.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class MachineStatus(models.TextChoices):
    CREATING = "creating", _("Being created")
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")
    FAILED = "failed", _("Failed")
    DELETED = "deleted", _("Deleted")


class MachineOperation(models.TextChoices):
    CREATE = "create", _("creation")
    START = "start", _("start")
    STOP = "stop", _("stop")
    REBOOT = "reboot", _("reboot")
    RESIZE = "resize", _("resize")
    DELETE = "delete", _("deletion")


# The statuses each operation may start from, and the status it leaves on success.
OPERATION_FROM: dict[str, frozenset[str]] = {
    MachineOperation.CREATE: frozenset({MachineStatus.CREATING}),
    MachineOperation.START: frozenset({MachineStatus.STOPPED}),
    MachineOperation.STOP: frozenset({MachineStatus.RUNNING}),
    MachineOperation.REBOOT: frozenset({MachineStatus.RUNNING}),
    MachineOperation.RESIZE: frozenset({MachineStatus.RUNNING, MachineStatus.STOPPED}),
    MachineOperation.DELETE: frozenset({MachineStatus.RUNNING, MachineStatus.STOPPED, MachineStatus.FAILED}),
}
OPERATION_RESULT: dict[str, str | None] = {
    MachineOperation.CREATE: MachineStatus.RUNNING,
    MachineOperation.START: MachineStatus.RUNNING,
    MachineOperation.STOP: MachineStatus.STOPPED,
    MachineOperation.REBOOT: MachineStatus.RUNNING,
    MachineOperation.RESIZE: None,  # the machine keeps its power state
    MachineOperation.DELETE: MachineStatus.DELETED,
}

# The pool's resources (add-on ``resource`` codes) and what a machine takes of each.
POOL_RESOURCES = ("cpu", "ram", "disk", "machines", "ipv4")
MACHINE_RESOURCES = ("cpu", "ram", "disk", "machines", "ipv4")


class MachineTemplate(models.Model):
    """An image a client may start machines from, with the least size it needs."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="machine_templates")
    name = models.CharField(_("name"), max_length=100)
    image = models.CharField(
        _("image"), max_length=200, help_text=_("The disk image the machine starts from, e.g. debian-12.qcow2.")
    )
    min_cpu = models.PositiveIntegerField(_("minimum CPU cores"), default=1)
    min_ram = models.PositiveIntegerField(_("minimum RAM, GiB"), default=1)
    min_disk = models.PositiveIntegerField(_("minimum disk, GiB"), default=5)
    enabled = models.BooleanField(_("offered to clients"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_cpu__gte=1) & Q(min_ram__gte=1) & Q(min_disk__gte=1), name="machine_template_minimums"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Machine(models.Model):
    """A virtual server inside a VDC: a libvirt domain named ``openbill-vdc<service>-<id>``.

    ``status`` is the confirmed state; ``operation`` the remote work under way (run by a worker
    task, retried with backoff while ``next_attempt_at`` says so; ``lease_until`` marks a worker
    holding it). ``address`` is its public IPv4 while it holds one (released to quarantine when
    the machine is deleted)."""

    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="machines")
    name = models.CharField(_("name"), max_length=63)
    template = models.ForeignKey(MachineTemplate, on_delete=models.PROTECT, related_name="machines")
    cpu = models.PositiveIntegerField(_("CPU cores"))
    ram = models.PositiveIntegerField(_("RAM, GiB"))
    disk = models.PositiveIntegerField(_("disk, GiB"))
    # The machine's public IPv4 from the provider's pools (ipam), one of the VDC's ``ipv4``.
    address = models.OneToOneField(
        "ipam.Address",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="machine",
        verbose_name=_("public IPv4 address"),
    )
    status = models.CharField(_("status"), max_length=10, choices=MachineStatus.choices, default=MachineStatus.CREATING)
    operation = models.CharField(_("operation"), max_length=10, choices=MachineOperation.choices, blank=True)
    params = models.JSONField(default=dict, blank=True)
    remote_id = models.CharField(_("remote id"), max_length=200, blank=True)
    error = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "name"], condition=~Q(status="deleted"), name="machine_name_unique_in_vdc"
            ),
            models.CheckConstraint(condition=Q(cpu__gte=1) & Q(ram__gte=1) & Q(disk__gte=1), name="machine_size"),
        ]
        indexes = [models.Index(fields=["service", "status"], name="machine_service_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def domain_name(self) -> str:
        return f"openbill-vdc{self.service_id}-{self.pk}"

    @property
    def public_ipv4(self) -> str:
        address = self.address
        return address.address if address is not None and address.state == "active" else ""

    @property
    def label_code(self) -> str:
        return "in_progress" if self.operation else str(self.status)

    @property
    def label(self) -> str:
        """Worded like a service's status: "In progress (reboot)" while an operation runs."""
        if self.operation:
            return gettext("In progress (%(operation)s)") % {"operation": MachineOperation(self.operation).label}
        return str(MachineStatus(self.status).label)


class MachineCounter(models.Model):
    """The last reading of one of a machine's cumulative counters (libvirt's CPU time, bytes in
    and out) and when it was taken: each collection counts a machine's usage since then towards
    its data center (``usage.collect``)."""

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=50)
    reading = models.DecimalField(max_digits=38, decimal_places=9)  # as metering.CollectionCursor
    collected_through = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["machine", "metric"], name="machine_counter_unique")]

    def __str__(self) -> str:
        return f"{self.machine_id} {self.metric} @ {self.collected_through}"
