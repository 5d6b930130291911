"""Sign-up and password reset take as long, and answer the same, for a registered address as for
a new one: the exists-path hashes the password too and no mail is sent inside the request."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client as HttpClient
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db

HASH_SECONDS = 0.3


class SlowHasher(MD5PasswordHasher):
    """Stands in for PBKDF2's real cost, fixed so the test can tell one hash from none."""

    algorithm = "slow_md5"

    def encode(self, password: str, salt: str) -> str:
        time.sleep(HASH_SECONDS)
        return super().encode(password, salt).replace("md5$", "slow_md5$", 1)


@pytest.fixture(autouse=True)
def _queued_mail(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_queued_tasks() -> None:
    """What the worker does: run each queued task."""
    for row in DBTaskResult.objects.order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


def sign_up(email: str, capture: Any) -> tuple[int, float]:
    data = {"name": "Carol", "email": email, "password1": "a-Long-passw0rd", "password2": "a-Long-passw0rd"}
    started = time.monotonic()
    with capture(execute=True):
        response = HttpClient().post("/signup/", data)
    return response.status_code, time.monotonic() - started


def test_signup_with_a_registered_email_hashes_a_password_like_a_new_signup(
    settings: Any, provider: Any, alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PASSWORD_HASHERS = ["openbill.clientarea.tests.test_auth_enumeration.SlowHasher"]
    new_status, new_seconds = sign_up("carol@test.test", django_capture_on_commit_callbacks)
    taken_status, taken_seconds = sign_up(alice_user.email, django_capture_on_commit_callbacks)
    assert new_status == taken_status == 302
    assert new_seconds >= HASH_SECONDS
    assert taken_seconds >= HASH_SECONDS


def test_signup_mail_is_sent_by_the_worker_not_in_the_request(
    provider: Any, alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sign_up("carol@test.test", django_capture_on_commit_callbacks)
    sign_up(alice_user.email, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 2
    run_queued_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["carol@test.test", alice_user.email])
    taken = next(m for m in mail.outbox if m.to == [alice_user.email])
    assert "already has an account" in taken.body


def test_password_reset_mail_is_sent_by_the_worker_not_in_the_request(
    alice_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = HttpClient().post("/password-reset/", {"email": alice_user.email})
        unknown = HttpClient().post("/password-reset/", {"email": "nobody@test.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert mail.outbox == []
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [[alice_user.email]]
    assert "/password-reset/" in mail.outbox[0].body
