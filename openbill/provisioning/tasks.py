"""Task entry points: look up by id, call an action."""

from __future__ import annotations

import os
import socket

from django.utils import timezone
from django_tasks import task

from . import actions

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


@task()
def run_provisioning_task(task_id: int) -> str:
    return actions.run(task_id, worker=WORKER_ID, now=timezone.now())
