"""A client turns on two-factor authentication in a real browser, then logs in with a code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from openbill.core.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time += steps_ahead * device.step
    return f"{totp.token():06d}"


def test_alice_turns_on_two_factor_and_logs_in_with_the_code(live_server: Any, page: Page, alice_user: Any) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Active Services")).to_be_visible()

    # Profile → turn it on: the QR code and the secret, confirmed by a code from the new secret.
    page.goto(f"{live_server.url}/profile/")
    page.get_by_role("link", name="Turn on two-factor authentication").click()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("totp-secret")).to_have_text(re.compile(r"^[A-Z2-7=]+$"))
    pending = TOTPDevice.objects.get(user=alice_user, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(code_of(pending))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_test_id("two-factor")).to_contain_text("On")

    # Log out, log in again: the password, then the code.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice_user.email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login/code/$"))
    # The code the app shows next (the one used to turn it on cannot be used twice).
    page.get_by_label("Code from your authenticator app").fill(code_of(pending, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Active Services")).to_be_visible()
