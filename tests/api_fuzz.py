"""Fuzz the whole API of a real running server with schemathesis: no 5xx, no answer that the
OpenAPI schema does not describe (status, content type, headers, body).

    make api-fuzz                      # or: .venv/bin/python tests/api_fuzz.py [--examples N]

It makes a throw-away Openbill (its own var/ folder and SQLite file, or the database of
DATABASE_URL), loads the demo, starts `openbill run` (gunicorn, worker, scheduler) on a free
loopback port, gives schemathesis an API token of the demo client alice, and stops the server
with SIGTERM at the end. The exit status is schemathesis's: 0 when it found nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Operations that would end the fuzzer's own access (revoking its token) are left out.
EXCLUDE = r"^/api/v1/tokens/\{id\}/$"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise SystemExit(f"the server did not listen on port {port} within {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25, help="test cases per operation (default 25)")
    parser.add_argument("--seed", type=int, default=1, help="schemathesis seed, for a repeatable run")
    options = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="openbill-fuzz-"))
    env = {**os.environ, "OPENBILL_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "openbill.settings"}
    openbill = [str(BIN / "python"), "-m", "openbill.cli"]
    subprocess.run([*openbill, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*openbill, "demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    token = subprocess.run(
        [
            *openbill,
            "shell",
            "-c",
            "from openbill.accounts.models import ApiToken, User;"
            "print(ApiToken.issue(User.objects.get(email='alice@demo.test'), 'api fuzz')[1])",
        ],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    # The last line: the token (anything the start-up logs before it is not).
    token = [line for line in token.splitlines() if line.startswith("obt_")][-1]
    port = free_port()
    server = subprocess.Popen([*openbill, "run", "--bind", f"127.0.0.1:{port}"], env=env, cwd=ROOT)
    try:
        wait_for(port, 60)
        url = f"http://127.0.0.1:{port}/api/v1/schema/?format=json"
        fuzz = subprocess.run(
            [
                str(BIN / "schemathesis"),
                "run",
                url,
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                CHECKS,
                "--exclude-path-regex",
                EXCLUDE,
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(options.examples),
                "--seed",
                str(options.seed),
                "--generation-with-security-parameters",
                "false",
                "--generation-allow-x00",
                "false",
                "--no-color",
            ],
            cwd=ROOT,
            check=False,
        )
        return fuzz.returncode
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
