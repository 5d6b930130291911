"""Django app configuration of core."""

from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def create_cache_table(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Every ``migrate`` also creates the database cache's table (settings.CACHES) if it is
    missing, so the shared attempt counters work from the first request, also after switching
    from Redis to the database cache. Nothing to do when the cache is Redis."""
    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "openbill.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="openbill.core.create_cache_table")
