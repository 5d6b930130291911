"""Two-factor authentication, one mechanism for staff and clients (ASVS 6.3.2, 6.5).

A user's second factor is a TOTP device (django-otp) plus ten one-time recovery codes
(accounts.RecoveryCodes). Enrolment shows a fresh secret (and its QR code) and is confirmed
only by a code from that secret; the recovery codes are issued then, shown once, stored hashed.
``verify_code`` accepts a code of the app or an unused recovery code. django-otp's TOTP device
keeps the time step of the last accepted code (``last_t``), so each code is accepted once, and
slows down repeated wrong codes; ``code_limit`` (accounts.limits, ``otp_failure``) caps wrong
codes per account wherever a code is asked.

Who must use it:
- staff, with ``OPENBILL_STAFF_2FA`` on (the default): a staff session must be verified before
  it reaches the admin site or /staff/ — the middleware sends it to /staff/2fa/, which asks for
  a code or enrols a device. The staff API asks the same (openbill.api.permissions.IsStaff).
- a client user who turned it on in the Profile: the login asks for the code after the password,
  and the session is logged in only then (clientarea.views_auth).
- every client of a provider with ``require_client_2fa``: after the password such a user without
  a device is sent to enrolment, and the session reaches nothing else until it is done.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import permissions
from rest_framework.request import Request

from . import limits
from .backends import TOTP_AT_LOAD
from .models import ApiToken, RecoveryCodes
from .selectors import client_of
from .sessions import reauthenticated_recently

# Paths a staff session may reach before it is verified: the 2FA pages themselves and logging out.
OPEN_PATHS = ("/staff/2fa/", "/admin/logout/", "/logout/")
GUARDED_PREFIXES = ("/admin/", "/staff/")
# Paths a client session that must still enrol may reach: enrolment (and the password it asks
# again), logging in and out, the language switch. Everything else waits for the enrolment.
CLIENT_OPEN_PATHS = ("/profile/2fa/enable/", "/profile/confirm/", "/login/", "/logout/", "/language/")


def required_for(user: Any) -> bool:
    """Staff must enter a code (``OPENBILL_STAFF_2FA``)."""
    return bool(settings.OPENBILL_STAFF_2FA and getattr(user, "is_staff", False))


def required_for_client(user: Any) -> bool:
    """The user's provider requires two-factor authentication of all its clients."""
    client = client_of(user)
    return bool(client is not None and client.provider.require_client_2fa)


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def is_enabled(user: Any) -> bool:
    """The user has an authenticator app: every login asks for its code."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enabled_at_load(user: Any) -> bool:
    """``is_enabled`` as it was when the request's user was loaded (accounts.backends), without a
    query: for the middleware, which runs before anything in the request could change it."""
    known = getattr(user, TOTP_AT_LOAD, None)
    return is_enabled(user) if known is None else bool(known)


def code_limit(user: Any) -> limits.Limit:
    """Wrong codes per account, wherever a code is asked (login, staff, re-authentication)."""
    return limits.Limit("otp_failure", account=str(user.pk))


def verify_code(user: Any, code: str) -> Device | None:
    """The device that accepts ``code``: the app's (six digits) or the recovery codes."""
    code = code.strip()
    if code.isdigit():
        device = confirmed_device(user)
        # django-otp's verify_token locks the device row while it checks and moves last_t, so
        # two requests carrying one code cannot both pass.
        return django_otp.verify_token(user, device.persistent_id, code) if device is not None else None
    recovery = RecoveryCodes.objects.filter(user=user, confirmed=True).first()
    return recovery if recovery is not None and code and recovery.verify_token(code) else None


def new_secret(user: Any) -> TOTPDevice:
    """A fresh unconfirmed device: a secret shown on an earlier page is never valid again."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=gettext("Authenticator app"), confirmed=False)


def pending_secret(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def confirm_enrolment(user: Any, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending secret with a code from it (not a recovery code: the app must work)
    and issue new recovery codes; None, and nothing changed, when the code does not check."""
    pending = pending_secret(user)
    code = code.strip()
    if pending is None or not code.isdigit() or not django_otp.verify_token(user, pending.persistent_id, code):
        return None
    with transaction.atomic():
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=pending.pk).delete()
        recovery, _created = RecoveryCodes.objects.get_or_create(
            user=user, defaults={"name": gettext("Recovery codes"), "confirmed": True}
        )
        return pending, recovery.issue()


@dataclass
class Enrolment:
    """What a code typed on the enrolment page did: too many tries (``wait`` seconds), 2FA on
    (``codes``: the recovery codes to show once; ``device`` is logged in), or a wrong code
    (``device``: the pending secret to show again; None when there is none any more)."""

    wait: float | None = None
    device: TOTPDevice | None = None
    codes: list[str] | None = None


def try_enrolment(request: HttpRequest, user: Any, code: str | None) -> Enrolment:
    """Confirm the pending secret with ``code`` (None: the form was not valid), within the
    per-account limit on codes; on success the request's session is verified with the device."""
    limit = code_limit(user)
    if (wait := limits.blocked(request, limit)) is not None:
        return Enrolment(wait=wait)
    pending = pending_secret(user)
    enrolled = confirm_enrolment(user, code) if code is not None else None
    if enrolled is not None:
        device, codes = enrolled
        django_otp.login(request, device)
        return Enrolment(device=device, codes=codes)
    limits.record(request, limit)
    return Enrolment(device=pending)


def new_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working) and return the new ones."""
    recovery, _created = RecoveryCodes.objects.get_or_create(
        user=user, defaults={"name": gettext("Recovery codes"), "confirmed": True}
    )
    return recovery.issue()


def turn_off(user: Any) -> None:
    """Remove the app and the recovery codes: logins ask for the password only."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodes.objects.filter(user=user).delete()


def enrolment_details(device: TOTPDevice) -> dict[str, Any]:
    """What a person copies into an authenticator app: the secret, its URI and its QR code."""
    uri = device.config_url
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    qr: SafeString = mark_safe(svg)
    return {
        "secret": b32encode(device.bin_key).decode(),
        "otpauth_uri": uri,
        "qr_svg": format_html('<div class="totp-qr" role="img" aria-label="{}">{}</div>', gettext("QR code"), qr),
    }


class TwoFactorMiddleware:
    """After OTPMiddleware: a staff session without its code goes to /staff/2fa/; a client who
    must enrol goes to enrolment; a session of a user with 2FA that did not pass the code (it
    was not made by the login page) is logged out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return self.get_response(request)
        path = request.path_info
        if path.startswith(GUARDED_PREFIXES):
            if not path.startswith(OPEN_PATHS) and required_for(user):
                return redirect(reverse("staff:two_factor") + "?" + urlencode({"next": request.get_full_path()}))
        elif not user.is_staff and not path.startswith(CLIENT_OPEN_PATHS):
            if enabled_at_load(user):
                logout(request)
                return self._refuse(
                    request, gettext("Log in again with your two-factor code."), "not_authenticated", status=401
                )
            if required_for_client(user):
                return self._refuse(
                    request,
                    gettext("Set up two-factor authentication first (/profile/2fa/enable/)."),
                    "two_factor_required",
                    status=403,
                )
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, message: str, code: str, *, status: int) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message, "code": code}, status=status)  # the API's error body
        if status == 401:
            return redirect_to_login(request.get_full_path())
        return redirect(reverse("clientarea:two_factor_enable") + "?" + urlencode({"next": request.get_full_path()}))


class RecentlyAuthenticated(permissions.BasePermission):
    """A session must have entered the password (and code) again in the last ten minutes
    (accounts.sessions.REAUTH_SECONDS); an API token is a credential of its own and passes."""

    code = "reauthentication_required"
    message = gettext_lazy(
        "Confirm your password first: in the client area, Profile → Confirm it is you; this lasts ten minutes."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiToken) or reauthenticated_recently(request)
