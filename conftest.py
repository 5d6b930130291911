"""Personas and shared fixtures: alice and bob are two clients of one provider; staff runs it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from openbill.core.tests import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# A second alias that mirrors the test database, standing in for a streaming replica: reads are
# routed to it only where a test turns OPENBILL_READ_REPLICA on (openbill/core/tests/test_replica.py).
if "replica" not in settings.DATABASES:
    settings.DATABASES["replica"] = {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}}

# Stripe against localstripe: the ``stripe_on`` and ``sink`` fixtures.
pytest_plugins = ["openbill.payments.tests.stripe_helpers"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request: pytest.FixtureRequest) -> Iterator[None]:
    """On SQLite the test database is a file in a folder of its own (in /dev/shm, a RAM disk,
    where there is one), removed after the run, not Django's shared-cache in-memory database.
    There the live server's request threads share one connection and any other connection gets
    "database table is locked" at once, never waiting; on a file each thread has its own
    connection and a writer waits for another one's transaction (settings.py: busy timeout,
    IMMEDIATE transactions, WAL), as web and worker do in production. pytest-django then adds
    the xdist worker's suffix (test.sqlite3_gw0) to the name."""
    default = settings.DATABASES["default"]
    folder = None
    if default["ENGINE"].endswith("sqlite3"):
        shm = "/dev/shm"
        folder = tempfile.mkdtemp(prefix="openbill-test-", dir=shm if os.access(shm, os.W_OK) else None)
        default.setdefault("TEST", {})["NAME"] = os.path.join(folder, "test.sqlite3")
    request.getfixturevalue("django_db_modify_db_settings_parallel_suffix")
    yield
    if folder:
        shutil.rmtree(folder, ignore_errors=True)  # the database and its -wal and -shm files


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Concurrency tests run on PostgreSQL only: on SQLite they are deselected, not skipped."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    keep = [item for item in items if item.get_closest_marker("postgres") is None]
    dropped = [item for item in items if item.get_closest_marker("postgres") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(autouse=True)
def _english_by_default() -> Any:
    """Each test starts in English: a test that activates Spanish (a page rendered for a Spanish
    client, translation.activate in a view) must not leak it into the next test of the worker."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False
    # Links in mail and payment redirects are on the test client's own host.
    settings.OPENBILL_BASE_URL = "http://testserver"
    # The card method is a test gateway, off by default; tests pay with it (payments tests turn it off).
    settings.OPENBILL_CARD_TEST_MODE = True
    # Staff TOTP is on by default; tests that are not about it log staff in with the password only
    # (the 2FA tests in openbill/accounts/tests turn it back on).
    settings.OPENBILL_STAFF_2FA = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_attempt_counters(request: pytest.FixtureRequest, _django_db_marker: None) -> None:
    """Attempt counters (accounts.limits, the token throttle) live in the cache, the database
    cache: one test's failures must not throttle the next. A test without database access has
    no counters (its cache table is not reachable)."""
    names = set(request.fixturenames)
    for fixture in ("transactional_db", "db"):
        if fixture in names:
            request.getfixturevalue(fixture)
            break
    else:
        if request.node.get_closest_marker("django_db") is None:
            return
    cache.clear()


@pytest.fixture(scope="session")
def _media_root(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings: Any, _media_root: Any) -> None:
    # Uploaded files (support attachments) never land in the checkout's var/.
    settings.MEDIA_ROOT = _media_root


@pytest.fixture
def provider(db: Any) -> Any:
    return f.provider()


@pytest.fixture
def vps_type(provider: Any) -> Any:
    return f.product_type(provider, "vds")


@pytest.fixture
def vps_plan(vps_type: Any) -> Any:
    return f.tariff(vps_type, "VPS-1", prices={"day": "1.00", "month": "10.00", "year": "500.00"}, setup_fee="5.00")


@pytest.fixture
def alice(provider: Any) -> Any:
    return f.client(provider, "alice@test.test", balance="100.00")


@pytest.fixture
def bob(provider: Any) -> Any:
    return f.client(provider, "bob@test.test", balance="50.00")


@pytest.fixture
def staff(db: Any) -> Any:
    return f.staff_user()


@pytest.fixture
def alice_user(alice: Any) -> Any:
    return alice.memberships.get().user


@pytest.fixture
def bob_user(bob: Any) -> Any:
    return bob.memberships.get().user


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
