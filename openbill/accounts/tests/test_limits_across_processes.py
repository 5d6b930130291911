"""The login and token limits hold across server processes: two gunicorn servers on one database
(and, when configured, one Redis) share the attempt counters, so an attacker who alternates
between them is stopped at the documented count, not at twice it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

pytestmark = pytest.mark.serial

LOGIN_ACCOUNT_LIMIT = 20  # README: 20 failures per email per hour, from any address
TOKEN_LIMIT = 20  # README: 20 failed tokens a minute per address
PASSWORD = "a-Right-passphrase-42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(f"{base}/login/", timeout=20)
            return
        except (requests.ConnectionError, requests.Timeout):
            assert time.monotonic() < deadline, "the server did not start"
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.3)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def base_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated SQLite database with one user, shared by the servers of every case."""
    unset = {"DATABASE_URL", "OPENBILL_CACHE_URL", "REDIS_URL", "OPENBILL_NUM_PROXIES"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        {
            "OPENBILL_VAR_DIR": str(tmp_path_factory.mktemp("two_servers")),
            "DJANGO_SETTINGS_MODULE": "openbill.settings",
            "OPENBILL_INSECURE_COOKIES": "1",
            "OPENBILL_MANIFEST_STATIC": "0",  # no collectstatic needed
            # The per-address lock-out (axes, 5 failures) would stop one address first; this
            # test is about the per-account limit, which holds across addresses.
            "OPENBILL_AXES": "0",
        }
    )
    run = {"env": env, "check": True, "capture_output": True, "timeout": 600}
    subprocess.run([sys.executable, "-m", "openbill.cli", "migrate", "-v0"], **run)  # type: ignore[call-overload]
    create = (
        "from openbill.accounts.models import User\n"
        "for email in ('db@test.test', 'redis@test.test'):\n"
        f"    User.objects.create_user(email=email, password={PASSWORD!r}, email_confirmed=True)\n"
    )
    subprocess.run([sys.executable, "-m", "openbill.cli", "shell", "-c", create], **run)  # type: ignore[call-overload]
    return env


@pytest.fixture(params=["database", "redis"])
def two_servers(request: pytest.FixtureRequest, base_env: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """(the user's email, the base URLs of two single-process servers sharing one cache)."""
    env = dict(base_env)
    processes: list[subprocess.Popen[bytes]] = []
    email = "db@test.test"
    try:
        if request.param == "redis":
            redis_server = shutil.which("redis-server")
            assert redis_server, "redis-server is a test dependency (apt: redis-server)"
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                    stdout=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            env["OPENBILL_CACHE_URL"] = f"redis://127.0.0.1:{port}/0"
            email = "redis@test.test"
        bases = []
        for _ in range(2):
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "openbill.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append(server)
            bases.append(f"http://127.0.0.1:{port}")
        for base, server in zip(bases, processes[-2:], strict=True):
            _wait_until_up(base, server)
        yield email, bases
    finally:
        for process in processes:
            _stop(process)


def _login(base: str, email: str, password: str) -> int:
    http = requests.Session()
    page = http.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    response = http.post(
        f"{base}/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
        allow_redirects=False,
        timeout=60,
    )
    return response.status_code


def test_the_per_account_login_limit_holds_across_two_server_processes(two_servers: tuple[str, list[str]]) -> None:
    email, bases = two_servers

    # Wrong passwords for one account, alternating between the two servers,
    statuses = [_login(bases[n % 2], email, "wrong") for n in range(LOGIN_ACCOUNT_LIMIT + 1)]

    # are refused one by one up to the documented count; then the account is locked on both,
    # even for the right password.
    assert statuses == [200] * LOGIN_ACCOUNT_LIMIT + [429]
    assert [_login(base, email, PASSWORD) for base in bases] == [429, 429]


def test_the_failed_token_limit_holds_across_two_server_processes(two_servers: tuple[str, list[str]]) -> None:
    _, bases = two_servers

    def guess(n: int) -> requests.Response:
        headers = {"Authorization": f"Bearer obt_guess{n}"}
        return requests.get(f"{bases[n % 2]}/api/v1/me/", headers=headers, timeout=30)

    answers = [guess(n) for n in range(TOKEN_LIMIT + 2)]

    assert [answer.status_code for answer in answers] == [401] * TOKEN_LIMIT + [429, 429]
    assert answers[-1].json()["code"] == "too_many_failed_tokens"
    assert int(answers[-1].headers["Retry-After"]) >= 1
