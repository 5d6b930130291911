from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start the web server, the task worker and the scheduler together (Ctrl-C stops all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=1, help="Task worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        bind = options["bind"]
        commands = [
            [
                sys.executable,
                "-m",
                "gunicorn",
                "openbill.wsgi",
                "--bind",
                bind,
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            *[[sys.executable, "-m", "openbill.cli", "worker"] for _ in range(options["workers"])],
        ]
        env = os.environ.copy()
        if bind.rsplit(":", 1)[0] in ("127.0.0.1", "localhost", "[::1]"):
            # This server speaks plain http on the loopback: Secure cookies would never come back,
            # so nobody could log in. Anything else is served behind TLS, with Secure cookies.
            env.setdefault("OPENBILL_INSECURE_COOKIES", "1")
            # Links in mail and payment redirects point at this server unless configured.
            env.setdefault("OPENBILL_BASE_URL", f"http://{bind}")
        procs = [subprocess.Popen(cmd, env=env) for cmd in commands]
        self.stdout.write(self.style.SUCCESS(f"Openbill is running at http://{bind}/"))
        self.stdout.write("  client area: alice@demo.test / demo, bob@demo.test / demo")
        self.stdout.write(f"  staff:       admin@demo.test / demo (http://{bind}/admin/)")
        self.stdout.write("               staff set up a TOTP authenticator app at first login (OPENBILL_STAFF_2FA)")
        self.stdout.write("Press Ctrl-C to stop.")
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for p in procs:
                try:
                    p.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.returncode for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            raise SystemExit(1)
