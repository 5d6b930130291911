"""Two requests of the live server that write at the same moment (a browser's page and a
webhook) must both go through: each runs in its own thread with its own connection, and on
SQLite the second writer waits for the first one's transaction (the busy timeout) instead of
failing with "database table is locked". Here two threads, each with its own connection, write
at once; the second starts while the first still holds its write transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction

pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def _in_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_second_writer_waits_for_the_first_and_both_commit() -> None:
    users: Any = get_user_model().objects
    first_holds_the_lock = threading.Event()
    second_is_writing = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with transaction.atomic():
            users.create_user(email="first@test.test", password="x")
            first_holds_the_lock.set()
            second_is_writing.wait(10)
            time.sleep(0.5)  # the second is inside its write by now, waiting on this transaction

    def second() -> None:
        first_holds_the_lock.wait(10)
        second_is_writing.set()
        with transaction.atomic():
            users.create_user(email="second@test.test", password="x")

    threads = [_in_thread(first, errors), _in_thread(second, errors)]
    for thread in threads:
        thread.join(60)
    assert errors == []
    emails = {"first@test.test", "second@test.test"}
    assert set(users.filter(email__in=emails).values_list("email", flat=True)) == emails
