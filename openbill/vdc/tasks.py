"""Task entry points: look up by id, call an action."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from . import runner


@task()
def run_machine_operation(machine_id: int) -> str:
    return runner.run_operation(machine_id, now=timezone.now())
