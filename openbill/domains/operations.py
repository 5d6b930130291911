"""The domain requests that need the worker: each records what the client asked for (through
``actions``) and queues its task after the commit. Tasks call actions; actions never queue
tasks, so the three modules import one way: operations → tasks → actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from openbill.core.actors import Actor

from . import actions, tasks
from .models import Domain


def request_whois(domain: Domain) -> None:
    """Ask the worker to fetch the registration data again (the page shows the cached copy)."""
    transaction.on_commit(lambda: tasks.refresh_whois.enqueue(domain.pk))


def request_delegation_check(domain: Domain) -> None:
    transaction.on_commit(lambda: tasks.check_delegation.enqueue(domain.pk))


def submit_verification(domain: Domain, files: Any, *, actor: Actor, now: datetime) -> Domain:
    """Verify: the documents kept (actions.submit_verification), then mailed to the registrar."""
    with transaction.atomic():
        domain = actions.submit_verification(domain, files, actor=actor, now=now)
        transaction.on_commit(lambda: tasks.send_documents.enqueue(domain.pk))
    return domain
