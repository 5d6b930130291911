"""Client notices are plain-text mail: what the client typed arrives as typed, not HTML-escaped."""

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
