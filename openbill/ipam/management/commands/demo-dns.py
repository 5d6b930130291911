"""``openbill demo-dns``: run Knot DNS as the demo's reverse DNS server.

The demo's DNS server entry (*Demo reverse DNS*, 127.0.0.1:5300, TSIG key ``openbill-demo``)
holds the reverse zones of the demo's pools. This writes a Knot configuration for it under
``var/demo-dns`` (the reverse names the demo has published already in the zones) and runs
``knotd`` in the foreground; Ctrl-C stops it. With it running, a reverse name changed in the
client area is written by the worker and answered by ``dig -p 5300 @127.0.0.1 -x ADDRESS``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...knot import write_config
from ...models import DnsServer

DEMO_SERVER = "Demo reverse DNS"


class Command(BaseCommand):
    help = "Run Knot DNS (knotd) as the demo's reverse DNS server, on the address its entry names."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folder", default="", help="Where to write the configuration (default var/demo-dns).")
        parser.add_argument("--config-only", action="store_true", help="Write the configuration and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        server = DnsServer.objects.filter(name=DEMO_SERVER).order_by("pk").first()
        if server is None:
            raise CommandError("No demo DNS server: load the demo first (openbill demo).")
        folder = Path(options["folder"] or Path(settings.VAR_DIR) / "demo-dns").resolve()
        config = write_config(server, folder)
        self.stdout.write(f"Knot configuration: {config} ({server.host}:{server.port})")
        if options["config_only"]:
            return
        knotd = shutil.which("knotd") or shutil.which("knotd", path="/usr/sbin:/sbin")
        if knotd is None:
            raise CommandError("knotd is not installed (Debian: apt-get install --no-install-recommends knot).")
        os.execv(knotd, [knotd, "-c", str(config)])  # noqa: S606 - the fixed knotd binary, our own config
