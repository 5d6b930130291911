"""Staff enter a TOTP code before the admin site, /staff/ and the staff API; clients do not."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client as HttpClient
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from openbill.accounts.models import ApiToken, RecoveryCode, RecoveryCodes
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

TWO_FA = "/staff/2fa/"


@pytest.fixture(autouse=True)
def _staff_2fa_on(settings: Any) -> None:
    settings.OPENBILL_STAFF_2FA = True


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += steps_ahead * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def staff_device(staff: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


@pytest.fixture
def staff_http(staff: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(staff)
    return http


def test_staff_with_only_a_password_is_sent_to_the_code_page_from_admin_and_staff_pages(
    staff_http: HttpClient, staff_device: Any
) -> None:
    for url in ("/admin/", "/admin/services/service/", "/staff/"):
        response = staff_http.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(TWO_FA + "?next=")


def test_the_right_code_opens_the_admin_and_each_code_works_once(staff: Any, staff_device: TOTPDevice) -> None:
    http = HttpClient()
    http.force_login(staff)
    page = http.get(TWO_FA, {"next": "/admin/"})
    assert page.status_code == 200
    assert "authenticator app" in page.content.decode()
    code = code_for(staff_device)
    response = http.post(TWO_FA, {"code": code, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert http.get("/admin/").status_code == 200
    assert http.get("/staff/").status_code == 200

    # The same code in another browser (someone who saw it) is refused.
    other = HttpClient()
    other.force_login(staff)
    replay = other.post(TWO_FA, {"code": code, "next": "/admin/"})
    assert replay.status_code == 400
    assert "not valid" in replay.content.decode()
    assert other.get("/admin/")["Location"].startswith(TWO_FA)


def test_a_wrong_code_is_refused_and_changes_nothing(staff_http: HttpClient, staff_device: TOTPDevice) -> None:
    response = staff_http.post(TWO_FA, {"code": "000000" if code_for(staff_device) != "000000" else "111111"})
    assert response.status_code == 400
    assert staff_http.get("/admin/")["Location"].startswith(TWO_FA)


def test_staff_without_a_device_enrol_one_with_a_secret_shown_once(staff: Any, staff_http: HttpClient) -> None:
    first = staff_http.get(TWO_FA, {"next": "/admin/"}).content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', first)
    assert secret, first
    assert "otpauth://totp/Openbill%3A" in first
    # A second visit shows a new secret: the first one can no longer be confirmed.
    second = staff_http.get(TWO_FA).content.decode()
    assert secret.group(1) not in second
    pending = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert staff_http.post(TWO_FA, {"code": "12345x"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    time.sleep(1.1)  # django-otp makes a device wait 1 s after a wrong code (doubling each time)

    response = staff_http.post(TWO_FA, {"code": code_for(pending), "next": "/admin/"})
    assert response.status_code == 200 and 'href="/admin/"' in response.content.decode()  # recovery codes, then on
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert staff_http.get("/admin/").status_code == 200


def test_staff_login_through_the_login_page_asks_the_code_before_logging_in(
    staff: Any, staff_device: TOTPDevice
) -> None:
    # The login page asks a staff user with a device for the code as it asks a client.
    http = HttpClient()
    response = http.post("/login/", {"username": staff.email, "password": f.PASSWORD})
    assert response["Location"] == "/login/code/"
    assert http.get("/admin/")["Location"].startswith("/admin/login/")  # not logged in yet
    done = http.post("/login/code/", {"code": code_for(staff_device)})
    assert done["Location"] == "/admin/"
    assert http.get("/admin/").status_code == 200


def test_staff_without_a_device_log_in_with_the_password_then_enrol(staff: Any) -> None:
    http = HttpClient()
    response = http.post("/login/", {"username": staff.email, "password": f.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(TWO_FA)


def test_repeated_wrong_codes_are_answered_429(settings: Any, staff_http: HttpClient, staff_device: TOTPDevice) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "otp_failure": "3/hour"},
    }
    wrong = "000000" if code_for(staff_device) != "000000" else "111111"
    statuses = [staff_http.post(TWO_FA, {"code": wrong}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert staff_http.post(TWO_FA, {"code": code_for(staff_device)}).status_code == 429


def test_staff_api_refuses_a_session_without_the_code_and_accepts_it_after(
    staff: Any, staff_http: HttpClient, staff_device: TOTPDevice
) -> None:
    url = "/api/v1/staff/tasks/"
    assert staff_http.get(url).status_code == 403
    staff_http.post(TWO_FA, {"code": code_for(staff_device)})
    assert staff_http.get(url).status_code == 200


def test_a_staff_api_token_works_only_if_made_after_the_code(staff: Any) -> None:
    _, unverified = ApiToken.issue(staff, "ops script")
    _, verified = ApiToken.issue(staff, "ops script", two_factor_verified=True)
    assert HttpClient().get("/api/v1/staff/tasks/", HTTP_AUTHORIZATION=f"Bearer {unverified}").status_code == 403
    assert HttpClient().get("/api/v1/staff/tasks/", HTTP_AUTHORIZATION=f"Bearer {verified}").status_code == 200


def test_clients_are_not_asked_for_a_code(alice_user: Any) -> None:
    http = HttpClient()
    response = http.post("/login/", {"username": alice_user.email, "password": f.PASSWORD})
    assert response["Location"] == "/"
    assert http.get("/").status_code == 200


def test_with_the_setting_off_staff_reach_the_admin_with_the_password(settings: Any, staff_http: HttpClient) -> None:
    settings.OPENBILL_STAFF_2FA = False
    assert staff_http.get("/admin/").status_code == 200


def test_a_client_cannot_open_the_staff_code_page(alice_user: Any) -> None:
    http = HttpClient()
    http.force_login(alice_user)
    response = http.get(TWO_FA)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not TOTPDevice.objects.exists()


def test_enrolment_shows_recovery_codes_once_and_each_works_once(staff: Any, staff_http: HttpClient) -> None:
    staff_http.get(TWO_FA)
    pending = TOTPDevice.objects.get(user=staff, confirmed=False)
    page = staff_http.post(TWO_FA, {"code": code_for(pending), "next": "/admin/"})
    assert page.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", page.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert not set(codes) & set(stored)  # only hashes are kept

    # The app is lost: a recovery code opens the admin once.
    phone_lost = HttpClient()
    phone_lost.force_login(staff)
    assert phone_lost.post(TWO_FA, {"code": codes[0], "next": "/admin/"})["Location"] == "/admin/"
    assert phone_lost.get("/admin/").status_code == 200
    again = HttpClient()
    again.force_login(staff)
    assert again.post(TWO_FA, {"code": codes[0]}).status_code == 400
    assert again.post(TWO_FA, {"code": codes[1].upper()})["Location"] == "/admin/"


def test_the_admin_shows_how_many_recovery_codes_are_left_never_the_codes(settings: Any, staff: Any) -> None:
    codes = RecoveryCodes.objects.create(user=staff, name="recovery", confirmed=True).issue()
    RecoveryCode.objects.filter(pk=RecoveryCode.objects.order_by("pk").first().pk).update(used_at="2026-01-01T00:00Z")
    settings.OPENBILL_STAFF_2FA = False
    http = HttpClient()
    http.force_login(staff)
    page = http.get("/admin/accounts/recoverycodes/").content.decode()
    assert '<td class="field-remaining_codes">9</td>' in page
    assert not any(code in page for code in codes)
