"""``openbill run``: the web server, the task worker and the scheduler together."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

GRACE_SECONDS = 10  # for the children to finish what they are doing before they are killed


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each child's process group, then SIGKILL to any group still there after the grace."""
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(deadline - time.monotonic(), 0.1))
    for p in procs:
        # Also reaches a grandchild left behind by a child that has exited (a gunicorn worker).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


class Command(BaseCommand):
    help = "Start the web server, the task worker and the scheduler together (Ctrl-C or SIGTERM stops all)."

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
        # Each child leads a process group of its own, so that stopping reaches its own children
        # too (gunicorn's workers) and a terminal's Ctrl-C reaches only this process, which stops
        # them all the same way it does on SIGTERM (systemd, docker stop, kill).
        previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGTERM, signal.SIGINT)}
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for cmd in commands:
                procs.append(subprocess.Popen(cmd, env=env, process_group=0))
            self.stdout.write(self.style.SUCCESS(f"Openbill is running at http://{bind}/"))
            self.stdout.write("  client area: alice@demo.test / demo, bob@demo.test / demo")
            self.stdout.write(f"  staff:       admin@demo.test / demo (http://{bind}/admin/)")
            self.stdout.write(
                "               staff set up a TOTP authenticator app at first login (OPENBILL_STAFF_2FA)"
            )
            self.stdout.write("Press Ctrl-C to stop.")
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            # A second signal must not cut the shutdown short and leave children behind.
            for signum in previous:
                signal.signal(signum, signal.SIG_IGN)
            _stop(procs)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        failed = [p.returncode for p in procs if p.returncode not in (0, -signal.SIGTERM, -signal.SIGINT, None)]
        if failed:
            raise SystemExit(1)
