"""Support personas: alice and bob are clients, staff answers; mail is sent by the task at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from openbill.core.tests import factories as f
from openbill.provisioning.tests.conftest import libvirt_uri, vps_host  # noqa: F401  (fixtures)
from openbill.support.models import Department


@pytest.fixture(autouse=True)
def _support_settings(settings: Any, tmp_path: Path) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OPENBILL_BASE_URL = "https://billing.example.test"


@pytest.fixture
def technical(provider: Any) -> Department:
    return Department.objects.create(provider=provider, name="Technical", email="tech@provider.test", position=1)


@pytest.fixture
def billing_department(provider: Any) -> Department:
    return Department.objects.create(provider=provider, name="Billing", email="billing@provider.test", position=2)


def logged_in(user: Any) -> HttpClient:
    browser = HttpClient()
    browser.force_login(user)
    return browser


@pytest.fixture
def alice_web(alice_user: Any) -> HttpClient:
    return logged_in(alice_user)


@pytest.fixture
def bob_web(bob_user: Any) -> HttpClient:
    return logged_in(bob_user)


@pytest.fixture
def staff_web(staff: Any) -> HttpClient:
    return logged_in(staff)


@pytest.fixture
def alice_vps(alice: Any, vps_plan: Any) -> Any:
    return f.service(alice, vps_plan, name="Web server")
