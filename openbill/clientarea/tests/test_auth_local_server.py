"""`openbill run` serves plain http on 127.0.0.1: its cookies must not be Secure, or nobody could
log in to the demo (everywhere else they are Secure by default)."""

from __future__ import annotations

import os
import re
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


def _cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "openbill.cli", *args], env=env, check=True, capture_output=True, timeout=300)


def _login(http: requests.Session, base: str, email: str) -> requests.Response:
    page = http.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return http.post(
        f"{base}/login/",
        data={"username": email, "password": "demo", "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    )


def test_the_demo_logs_in_over_plain_http_on_the_local_server(tmp_path: Path) -> None:
    unset = {"DATABASE_URL", "DEBUG", "OPENBILL_INSECURE_COOKIES", "SESSION_COOKIE_SECURE", "OPENBILL_STAFF_2FA"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update({"OPENBILL_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "openbill.settings"})
    _cli("migrate", "-v0", env=env)
    _cli("demo", env=env)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "openbill.cli", "run", "--bind", f"127.0.0.1:{port}", "--workers", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"{base}/login/", timeout=20)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline, "the server did not start"
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.5)

        # requests, like a browser, sends a Secure cookie back over https only.
        alice = requests.Session()
        response = _login(alice, base, "alice@demo.test")
        assert response.status_code == 200 and response.url == f"{base}/", response.text[:300]
        assert "alice@demo.test" in alice.get(f"{base}/profile/", timeout=30).text
        assert "secure" not in response.history[0].headers["Set-Cookie"].lower()

        # Staff are asked to set up a TOTP app at their first login.
        admin = requests.Session()
        response = _login(admin, base, "admin@demo.test")
        assert response.url.startswith(f"{base}/staff/2fa/")
        assert "otpauth://totp/" in response.text
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
