"""``openbill demo``: load the demo provider, catalog, clients and services."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from openbill.core import demo


class Command(BaseCommand):
    help = "Load the demo provider, catalog, clients and services (loading twice changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        if demo.load():
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already loaded; nothing changed.")
        self.stdout.write("Logins (password 'demo'): alice@demo.test, bob@demo.test; staff admin@demo.test")
        self.stdout.write(
            "Staff log in with a TOTP code too: at the first login admin@demo.test is shown a secret"
            " to add to an authenticator app, then enters its code (OPENBILL_STAFF_2FA=0 turns this off)."
        )
