"""One TOTP code, or one recovery code, sent by two requests at the same moment opens one session."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django_otp.plugins.otp_totp.models import TOTPDevice

from openbill.accounts.models import RecoveryCodes
from openbill.core.tests import factories as f

from .test_twofactor import TWO_FA, code_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _staff_2fa_on(settings: Any) -> None:
    settings.OPENBILL_STAFF_2FA = True


def _post_together(staff: Any, code: str, n: int = 4) -> list[int]:
    clients = []
    for _ in range(n):
        http = HttpClient()
        http.force_login(staff)
        clients.append(http)
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def send(http: HttpClient) -> None:
        try:
            barrier.wait()
            statuses.append(http.post(TWO_FA, {"code": code}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(http,)) for http in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_one_totp_code_sent_twice_at_once_is_accepted_once() -> None:
    staff = f.staff_user()
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    assert _post_together(staff, code_for(device)) == [302, 400, 400, 400]


def test_one_recovery_code_sent_twice_at_once_is_accepted_once() -> None:
    staff = f.staff_user()
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    codes = RecoveryCodes.objects.create(user=staff, name="recovery", confirmed=True).issue()
    assert _post_together(staff, codes[0]) == [302, 400, 400, 400]
