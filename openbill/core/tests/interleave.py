"""Two writers interleaved on purpose (PostgreSQL): the first stops inside its transaction at a
chosen point, the second then runs until it either finishes or waits for a row lock, and only
then does the first go on.

With the row lock in place the second writer waits for the first one's commit; without it, the
second runs straight through the first one's read-then-write window — the interleaving a
barrier produces only sometimes, produced every time. Each writer has its own connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

# Long enough for any healthy step on a loaded machine; reached only when something hangs.
GIVE_UP_SECONDS = 60


def _waits_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row and row[0] == "Lock")


@contextmanager
def _pause(
    owner: Any, name: str, *, before: bool, thread: dict[str, threading.Thread]
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Wrap ``owner.name`` so that, in the first writer's thread only, it stops (once) before or
    after the original call until released."""
    own = name in vars(owner)
    saved = vars(owner).get(name)
    original = getattr(owner, name)
    reached, release = threading.Event(), threading.Event()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mine = threading.current_thread() is thread.get("first") and not reached.is_set()
        if mine and before:
            reached.set()
            release.wait(GIVE_UP_SECONDS)
        result = original(*args, **kwargs)
        if mine and not before:
            reached.set()
            release.wait(GIVE_UP_SECONDS)
        return result

    setattr(owner, name, wrapper)
    try:
        yield reached, release
    finally:
        if own:
            setattr(owner, name, saved)
        else:
            delattr(owner, name)


def interleave(
    first: Callable[[], Any],
    second: Callable[[], Any],
    *,
    pause: tuple[Any, str],
    before: bool = False,
) -> tuple[Any, Any]:
    """Run ``first`` until it calls ``pause`` (an (object, attribute name) pair; it stops just
    after the call, or just before with ``before``), then ``second`` until it is done or blocked
    on a lock, then let ``first`` finish. Returns both results (an exception is returned, not
    raised)."""
    outcomes: list[Any] = [None, None]
    pids: dict[str, int] = {}
    threads: dict[str, threading.Thread] = {}

    def run(index: int, work: Callable[[], Any]) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[str(index)] = cursor.fetchone()[0]
            outcomes[index] = work()
        except Exception as exc:  # returned to the test, which asserts on it
            outcomes[index] = exc
        finally:
            connection.close()

    owner, name = pause
    with _pause(owner, name, before=before, thread=threads) as (reached, release):
        threads["first"] = threading.Thread(target=run, args=(0, first))
        threads["second"] = threading.Thread(target=run, args=(1, second))
        threads["first"].start()
        try:
            assert reached.wait(GIVE_UP_SECONDS), "the first writer never reached the pause point"
            threads["second"].start()
            deadline = time.monotonic() + GIVE_UP_SECONDS
            while threads["second"].is_alive() and time.monotonic() < deadline:
                if "1" in pids and _waits_for_a_lock(pids["1"]):
                    break
                time.sleep(0.005)
        finally:
            release.set()
            for thread in threads.values():
                if thread.ident is not None:
                    thread.join(GIVE_UP_SECONDS)
    return outcomes[0], outcomes[1]
