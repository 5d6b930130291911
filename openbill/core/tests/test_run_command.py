"""`openbill run` stops everything it started (web server, task worker) on SIGTERM as on Ctrl-C:
systemd, `docker stop` and `kill PID` signal only its own process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.serial


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children, grandchildren …), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …"; comm may hold spaces and parentheses.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_openbill_run_stops_the_server_and_the_worker_and_frees_the_port(
    tmp_path: Path, signum: int
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update({"OPENBILL_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "openbill.settings"})
    subprocess.run(
        [sys.executable, "-m", "openbill.cli", "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=300
    )
    port = _free_port()
    run = subprocess.Popen(
        [sys.executable, "-m", "openbill.cli", "run", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a process group of its own: the clean-up below reaches strays
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/login/", timeout=20)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline, "the server did not start"
                assert run.poll() is None, "openbill run exited"
                time.sleep(0.5)
        children = _descendants(run.pid)
        # gunicorn's master and its 2 web workers, and the task worker.
        assert len(children) >= 4, children

        # Only the `openbill run` process is signalled, as systemd, docker stop or kill do.
        os.kill(run.pid, signum)
        assert run.wait(timeout=30) == 0

        stray = time.monotonic() + 10  # a child reparented to init may take a moment to exit
        while any(_alive(pid) for pid in children) and time.monotonic() < stray:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)]
        assert _port_is_free(port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
