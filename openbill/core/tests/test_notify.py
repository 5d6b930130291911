"""Mail and its links: plain text as typed (not HTML-escaped), links on the configured address."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from openbill.core.tests import factories as f
from openbill.services import notifications
from openbill.services.choices import Status

pytestmark = pytest.mark.django_db

NAME = "Bob's <server> & co"


def test_a_notice_about_a_service_named_with_html_characters_is_not_escaped(
    settings: Any, alice: Any, vps_plan: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    alice.name = "Bob & Alice's <team>"
    alice.save()
    service = f.service(alice, vps_plan, name=NAME)

    with django_capture_on_commit_callbacks(execute=True):
        notifications.status_changed(service, Status.ORDERED, Status.ACTIVE, event_id=1, now=timezone.now())

    [message] = mail.outbox
    assert message.subject == f"Ready: {NAME}"
    assert f"Your service {NAME} (#{service.pk}) is active." in message.body
    assert "Hello Bob & Alice's <team>," in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body and "&lt;" not in message.body


def test_the_production_defaults_answer_no_test_host_and_link_to_the_run_address(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("ALLOWED_HOSTS", "OPENBILL_BASE_URL")}
    env["OPENBILL_VAR_DIR"] = str(tmp_path)
    code = "import json, openbill.settings as s; print(json.dumps([s.ALLOWED_HOSTS, s.OPENBILL_BASE_URL]))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    hosts, base_url = json.loads(out.stdout)
    assert "testserver" not in hosts
    assert base_url == "http://127.0.0.1:8000"
