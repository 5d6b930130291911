"""The automation's own records: sweep runs, their leased batches, and the fuse's alerts.

A sweep run is planned once per scheduler slot; its work is cut into batches (whole clients
for the renew sweep), each claimed under a lease by one worker. django-tasks-db never hands
back a task whose worker died, so the lease is what lets another worker redo a batch that a
SIGKILLed worker left half done (DESIGN.md §1). Imported by ``services.models``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    TRIPPED = "tripped", _("Stopped by the fuse")


class SweepRun(models.Model):
    """One run of one sweep at one moment (``at``, the run's clock for every batch)."""

    sweep = models.CharField(_("sweep"), max_length=40)
    run_key = models.CharField(max_length=80)
    at = models.DateTimeField(_("as of"))
    state = models.CharField(_("state"), max_length=10, choices=RunState.choices, default=RunState.RUNNING)
    expected = models.PositiveIntegerField(_("due when planned"), default=0)
    provider_ids = models.JSONField(default=list, blank=True)
    chain = models.BooleanField(_("then run the next stage"), default=True)
    created_at = models.DateTimeField(_("planned at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["sweep", "run_key"], name="sweep_run_unique")]
        verbose_name = _("sweep run")

    def __str__(self) -> str:
        return f"{self.sweep} {self.run_key}"


class BatchState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped (fuse)")


class SweepBatch(models.Model):
    """A bounded slice of a run: the rows whose key (client id or service id) is in [lo, hi].

    Claimed by a compare-and-swap update that sets the lease; a lease that runs out is handed
    back by the reaper in ``openbill worker``. Every sweep re-checks "still due" under row locks,
    so a batch done twice changes nothing the second time.
    """

    run = models.ForeignKey(SweepRun, on_delete=models.CASCADE, related_name="batches")
    lo = models.BigIntegerField()
    hi = models.BigIntegerField()
    expected = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.QUEUED)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "lo"]
        indexes = [
            models.Index(fields=["state", "lease_until"], name="sweep_batch_lease"),
            models.Index(fields=["state", "enqueued_at"], name="sweep_batch_queued"),
        ]
        verbose_name = _("sweep batch")
        verbose_name_plural = _("sweep batches")

    def __str__(self) -> str:
        return f"{self.run} [{self.lo}, {self.hi}] {self.state}"


class SweepAlert(models.Model):
    """The fuse tripped: a sweep would have charged a service twice in a day, or far more
    services than were due. The sweep stays stopped until staff mark the alert resolved."""

    sweep = models.CharField(_("sweep"), max_length=40)
    run = models.ForeignKey(SweepRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts")
    reason = models.CharField(_("reason"), max_length=200)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("raised at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.CharField(_("resolved by"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sweep", "resolved_at"], name="sweep_alert_open")]
        verbose_name = _("sweep alert")

    def __str__(self) -> str:
        return f"{self.sweep}: {self.reason}"
