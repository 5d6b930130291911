"""Plumbing shared by the apps: scheduler slots and idempotency keys of API calls."""

from __future__ import annotations

from django.db import models


class SweepSlot(models.Model):
    """One periodic sweep enqueued for one time slot. The unique pair is what keeps several
    schedulers (one per worker process, on any number of machines) from doubling a sweep."""

    sweep = models.CharField(max_length=40)
    slot = models.BigIntegerField()
    enqueued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sweep", "slot"], name="sweep_slot_unique")]

    def __str__(self) -> str:
        return f"{self.sweep}@{self.slot}"


class IdempotencyRecord(models.Model):
    """The stored first answer of a money-moving API call (reliability.md, invariant 7).

    Scoped to the caller and the endpoint; a retry with the same key replays the answer, a
    retry with other parameters is rejected. Kept at least 24 hours. While ``status_code`` is
    empty the request is running, for at most a lease from ``started_at``: after that it is taken
    to have died and a retry runs it again.
    """

    scope = models.CharField(max_length=200)  # "user:<id>" or "staff:<id>"
    endpoint = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    # The answer's JSON as bytes: any text (a NUL, a lone surrogate) kept exactly, which a JSON
    # column cannot (PostgreSQL's jsonb refuses both).
    response_content = models.BinaryField(null=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "endpoint", "key"], name="idempotency_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.scope} {self.endpoint} {self.key}"


class Notice(models.Model):
    """An email notice to a client, recorded under a unique key so that it is sent once,
    however often the sweep or action that asks for it runs (FOSSBilling sent duplicates)."""

    key = models.CharField(max_length=200)
    # Indexed by notice_client_recent, which leads with the client.
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="notices", db_index=False)
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "-created_at"], name="notice_client_recent")]
        # A constraint rather than unique=True: the key is looked up whole, never by prefix, so
        # it needs no second (pattern) index to keep up on every insert.
        constraints = [models.UniqueConstraint(fields=["key"], name="notice_key_unique")]

    def __str__(self) -> str:
        return self.key
