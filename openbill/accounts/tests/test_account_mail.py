"""Account mail (password reset, sign-up confirmation) as the worker sends it.

The task row names only the user and the kind of mail: staff who read the task results in the
admin never see a working link. Links start with ``OPENBILL_BASE_URL`` whatever Host the request
carried, and the plain-text mail is not HTML-escaped.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openbill.accounts.models import User
from openbill.core.worker import OpenbillWorker

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "https://billing.example.com"
PASSWORD = "a-Long-passw0rd"


@pytest.fixture(autouse=True)
def _queued_mail(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.OPENBILL_BASE_URL = BASE


def run_worker() -> None:
    OpenbillWorker(batch=True, schedule=False, interval=0).run()


def link_in(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)


def task_rows_text() -> str:
    """Everything staff can read of the task rows: arguments and results."""
    return json.dumps([[row.args_kwargs, row.return_value] for row in DBTaskResult.objects.all()])


def request_reset(email: str, **headers: Any) -> Any:
    return HttpClient().post("/password-reset/", {"email": email}, **headers)


def sign_up(name: str, email: str) -> Any:
    data = {"name": name, "email": email, "password1": PASSWORD, "password2": PASSWORD}
    return HttpClient().post("/signup/", data)


def test_password_reset_task_holds_no_link_and_the_mailed_link_works(alice_user: Any, staff: Any) -> None:
    assert request_reset(alice_user.email).status_code == 302
    assert mail.outbox == []
    run_worker()

    assert [m.to for m in mail.outbox] == [[alice_user.email]]
    link = link_in(mail.outbox[0].body)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert "/password-reset/" in link
    assert token not in task_rows_text()
    assert "password-reset" not in task_rows_text()
    # What staff see of the task in the admin.
    admin = HttpClient()
    admin.force_login(staff)
    row = DBTaskResult.objects.get()
    page = admin.get(f"/admin/django_tasks_database/dbtaskresult/{row.pk}/change/")
    assert page.status_code == 200
    assert token not in page.content.decode()
    # The link still sets a new password.
    http = HttpClient()
    form_url = http.get(link.removeprefix(BASE))["Location"]
    done = http.post(form_url, {"new_password1": "Brand-new-pass-9", "new_password2": "Brand-new-pass-9"})
    assert done.status_code == 302
    assert http.login(username=alice_user.email, password="Brand-new-pass-9")


def test_reset_link_is_on_the_configured_base_url_whatever_the_host_header(alice_user: Any) -> None:
    request_reset(alice_user.email, HTTP_HOST="localhost:31337")
    run_worker()

    body = mail.outbox[0].body
    assert link_in(body).startswith(f"{BASE}/password-reset/")
    assert "31337" not in body
    assert "localhost" not in body


def test_reset_mail_says_that_api_tokens_are_revoked(alice_user: Any) -> None:
    request_reset(alice_user.email)
    run_worker()

    assert "API tokens" in mail.outbox[0].body


def test_reset_mail_is_in_the_users_saved_language(alice_user: Any) -> None:
    User.objects.filter(pk=alice_user.pk).update(language="es")
    request_reset(alice_user.email)  # the request itself is in English
    run_worker()

    assert "contraseña" in mail.outbox[0].subject.lower()


def test_signup_confirmation_task_holds_no_link_and_the_mail_is_plain_text(provider: Any) -> None:
    provider.name = "Bob's <hosting> & co"
    provider.save()
    assert sign_up("Bob's <server> & co", "carol@test.test").status_code == 302
    run_worker()

    message = mail.outbox[0]
    link = link_in(message.body)
    assert link.startswith(f"{BASE}/signup/confirm/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in task_rows_text()
    assert "Bob's <server> & co" in message.body
    assert "Bob's <hosting> & co" in message.subject
    assert "&#x27;" not in message.body + message.subject
    assert "&lt;" not in message.body + message.subject
    # The link confirms the address.
    confirm = link.removeprefix(BASE)
    assert HttpClient().post(confirm).status_code == 302
    assert User.objects.get(email="carol@test.test").is_active


def test_signup_with_a_registered_email_mails_a_reset_page_link_on_the_base_url(provider: Any, alice_user: Any) -> None:
    sign_up("Someone", alice_user.email)
    run_worker()

    body = mail.outbox[0].body
    assert "already has an account" in body
    assert link_in(body) == f"{BASE}/password-reset/"
    assert alice_user.email not in task_rows_text()


def test_a_confirmation_is_not_sent_once_the_address_is_confirmed(provider: Any) -> None:
    # A queued mail whose link can no longer work (the account was confirmed meanwhile) is dropped.
    sign_up("Carol", "carol@test.test")
    User.objects.filter(email="carol@test.test").update(is_active=True, email_confirmed=True)
    run_worker()

    assert mail.outbox == []


# --- task results are purged --------------------------------------------------------------------


def test_finished_task_results_older_than_the_retention_are_purged(settings: Any, alice: Any) -> None:
    from openbill.core import sweeps

    settings.OPENBILL_TASK_RESULT_DAYS = 7
    now = timezone.now()
    request_reset(alice.email)
    request_reset(alice.email)
    run_worker()
    old, recent = DBTaskResult.objects.order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=8))
    DBTaskResult.objects.filter(pk=recent.pk).update(finished_at=now - timedelta(days=6))
    request_reset(alice.email)
    waiting = DBTaskResult.objects.exclude(pk__in=[old.pk, recent.pk]).get()  # not run yet

    assert sweeps.purge_task_results(now) == 1

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_the_scheduler_runs_the_task_result_purge(settings: Any, alice: Any) -> None:
    from openbill.core import scheduler

    settings.OPENBILL_TASK_RESULT_DAYS = 7
    request_reset(alice.email)
    run_worker()
    DBTaskResult.objects.update(finished_at=timezone.now() - timedelta(days=30))
    scheduler.load_sweeps()
    scheduler.SWEEPS["task-result-purge"].enqueue(timezone.now())
    run_worker()

    assert not DBTaskResult.objects.filter(task_path__endswith="send_account_email").exists()


def test_task_rows_holding_a_rendered_mail_from_before_are_deleted(alice_user: Any) -> None:
    from importlib import import_module

    from django.apps import apps

    from openbill.accounts.tasks import send_account_email

    migration = import_module("openbill.accounts.migrations.0005_forget_rendered_account_mail")
    old = DBTaskResult.objects.get(
        pk=send_account_email.enqueue("Reset", "http://x/password-reset/MQ/tok-en/", alice_user.email).id
    )
    request_reset(alice_user.email)
    new = DBTaskResult.objects.exclude(pk=old.pk).get()

    migration.forget_rendered_mail(apps, None)

    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [new.pk]
