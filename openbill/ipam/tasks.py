"""Task entry points: look up by id, call an action."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from . import ptr


@task()
def publish_ptr(address_id: int) -> str:
    return ptr.publish(address_id, now=timezone.now())
