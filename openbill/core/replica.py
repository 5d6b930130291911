"""Reads from a PostgreSQL streaming replica, opt-in per view.

With ``DATABASE_REPLICA_URL`` set, settings add a second database alias, ``replica``. Nothing
goes there by default: a view says "my queries only read" with ``@replica_reads_view`` (function
views) or ``ReplicaReadsMixin`` (DRF list/retrieve), and only then, only for a GET/HEAD, only for
the models of ``REPLICA_APPS`` and only outside a transaction does ``ReplicaRouter`` send a read
to the replica. Everything else — every write, ``select_for_update`` (Django routes it as a
write), anything inside ``transaction.atomic``, sessions, logins and tokens, and the money apps
(billing, payments, orders, invoicing, clients' balances) — stays on ``default``.

A browser that has just changed something (any non-GET request) is pinned to the primary for
``OPENBILL_REPLICA_PIN_SECONDS`` by a cookie, so the page it is redirected to shows its own
change even while the replica lags.

The router also stops using a replica that is too far behind or unreachable: each process asks
it ``now() - pg_last_xact_replay_timestamp()`` at most every ``LAG_CHECK_SECONDS`` and reads the
primary while that exceeds ``OPENBILL_REPLICA_MAX_LAG_SECONDS`` (NULL — a primary, or a replica
that has replayed nothing yet — is no lag); a replica it cannot reach is left alone for
``DOWN_SECONDS``, with one warning in the log. A read-only handler whose replica fails under it
runs once more, on the primary.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from time import monotonic
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "openbill_primary"
SAFE_METHODS = ("GET", "HEAD")
LAG_CHECK_SECONDS = 5.0  # how long a process trusts its last answer about the replica's lag
DOWN_SECONDS = 30.0  # after a failed connection, the primary serves this long before a new try

# Apps whose rows a read-only page may read from the replica. Not here, on purpose: billing,
# payments, orders and invoicing (money), clients (balances), accounts/auth/sessions (logins).
REPLICA_APPS = frozenset({"services", "catalog", "metering", "support", "provisioning", "ipam", "vdc", "domains"})

_reading: ContextVar[bool] = ContextVar("openbill_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES and bool(getattr(settings, "OPENBILL_READ_REPLICA", False))


def replica_lag_seconds() -> float | None:
    """How far the replica's replay is behind now, in seconds: 0 when it has replayed all it has
    received (a quiet primary commits nothing, so the last replayed commit grows old without any
    lag); None when it is not a replica (a primary, or not PostgreSQL). Connects first: an
    unreachable replica raises here."""
    connection = connections[REPLICA]
    connection.ensure_connection()
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
            " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else float(row[0])


@dataclass(frozen=True)
class _Health:
    usable: bool
    until: float  # monotonic time until which this answer holds
    down: bool = False  # the last try could not reach the replica
    lagging: bool = False  # the last answer was further behind than the limit


_health = _Health(usable=False, until=float("-inf"))
_health_lock = threading.Lock()


def forget_replica_health() -> None:
    """The next read asks the replica again (tests; a process that changed its settings)."""
    global _health
    with _health_lock:
        _health = _Health(usable=False, until=float("-inf"))


def replica_usable() -> bool:
    """Whether the replica is reachable and no further behind than the limit: asked at most
    every ``LAG_CHECK_SECONDS`` per process (``DOWN_SECONDS`` after a failed connection)."""
    global _health
    if monotonic() < _health.until:
        return _health.usable
    with _health_lock:
        now = monotonic()
        if now < _health.until:
            return _health.usable
        try:
            lag = replica_lag_seconds()
        except Error as exc:
            _set_down(exc, now)
            return False
        limit = float(getattr(settings, "OPENBILL_REPLICA_MAX_LAG_SECONDS", 10))
        usable = lag is None or lag <= limit
        if not usable and not _health.lagging:
            logger.warning("Read replica %.1fs behind (limit %gs), reading the primary", lag, limit)
        elif usable and (_health.down or _health.lagging):
            logger.info("Read replica back in use")
        _health = _Health(usable=usable, until=now + LAG_CHECK_SECONDS, lagging=not usable)
        return usable


def _set_down(exc: Exception, now: float) -> None:
    """The replica failed: the primary serves for ``DOWN_SECONDS`` (one warning per outage)."""
    global _health
    if not _health.down:
        logger.warning("Read replica unreachable, reading the primary for %gs: %s", DOWN_SECONDS, exc)
    with suppress(Error):
        connections[REPLICA].close()
    _forget_closed_errors()
    _health = _Health(usable=False, until=now + DOWN_SECONDS, down=True)


def _forget_closed_errors() -> None:
    """A closed replica connection carries no error: from here on, ``errors_occurred`` tells
    that the replica failed under the current handler (and not some earlier one)."""
    replica = connections[REPLICA]
    if replica.connection is None:
        replica.errors_occurred = False


def _replica_failed(exc: Exception) -> bool:
    """Whether ``exc`` came from the replica's connection; if so, it is set down."""
    if not replica_configured() or not connections[REPLICA].errors_occurred:
        return False
    with _health_lock:
        _set_down(exc, monotonic())
    return True


def _read(call: Callable[[], Any]) -> Any:
    """Run a read-only handler with its reads on the replica; if the replica fails under it
    (gone since the last check, a query cancelled by its recovery), once more on the primary."""
    if replica_configured():
        _forget_closed_errors()
    try:
        with replica_reads():
            return call()
    except Error as exc:
        if not _replica_failed(exc):
            raise
    return call()


@contextmanager
def replica_reads() -> Iterator[None]:
    """Inside: the reads of ``REPLICA_APPS`` models outside a transaction go to the replica."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _pinned(request: HttpRequest) -> bool:
    return request.method not in SAFE_METHODS or bool(request.COOKIES.get(PIN_COOKIE))


def replica_reads_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A function view whose GET only reads: its queries may go to the replica."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _pinned(request):
            return view(request, *args, **kwargs)
        return _read(lambda: view(request, *args, **kwargs))  # type: ignore[no-any-return]

    return wrapper


class ReplicaReadsMixin:
    """For a DRF view whose handlers named in ``replica_actions`` only read (a viewset's
    ``list``/``retrieve``/detail GET actions; ``get`` for a plain API view): their queries may go
    to the replica."""

    replica_actions: tuple[str, ...] = ("list", "retrieve")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        method = "get" if request.method == "HEAD" else (request.method or "").lower()
        action_map = getattr(self, "action_map", None)
        handler = action_map.get(method) if action_map is not None else method
        if _pinned(request) or handler not in self.replica_actions:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return _read(lambda: super(ReplicaReadsMixin, self).dispatch(request, *args, **kwargs))  # type: ignore[misc]


class ReplicaRouter:
    """``DATABASE_ROUTERS``: the replica for opted-in reads, ``default`` for everything else
    (also for related objects of a row read from the replica, whose own model may not be in
    ``REPLICA_APPS``)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if (
            _reading.get()
            and model._meta.app_label in REPLICA_APPS
            and replica_configured()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
            and replica_usable()
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        # A write of a replica-read model inside a read-only view: from here on this request
        # reads the primary, so it sees its own write. (A login token's "last used" or the
        # throttle's cache row are not read from the replica and change nothing here.)
        if _reading.get() and model._meta.app_label in REPLICA_APPS:
            _reading.set(False)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database: the replica is a copy of the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA


class ReplicaPinMiddleware:
    """After a request that may have changed something, read from the primary for a while."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and replica_configured():
            seconds = int(getattr(settings, "OPENBILL_REPLICA_PIN_SECONDS", 5))
            response.set_cookie(PIN_COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax")
        return response
