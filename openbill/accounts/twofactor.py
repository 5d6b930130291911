"""Staff log in with a TOTP code as well (ASVS 6.3.2, 6.5).

With ``OPENBILL_STAFF_2FA`` on (the default), a staff session must be verified by a TOTP device
(django-otp) before it reaches the admin site or /staff/: the middleware sends it to
/staff/2fa/, which asks for a code — or, when the user has no device yet, enrols one (the secret
is shown once, confirmed with a code). The staff API asks the same (openbill.api.permissions.IsStaff).
django-otp's TOTP device keeps the time step of the last accepted code (``last_t``), so each
code is accepted once, and slows down repeated wrong codes; accounts.limits adds a per-account
cap on wrong codes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Paths a staff session may reach before it is verified: the 2FA pages themselves and logging out.
OPEN_PATHS = ("/staff/2fa/", "/admin/logout/", "/logout/")
GUARDED_PREFIXES = ("/admin/", "/staff/")


def required_for(user: Any) -> bool:
    return bool(settings.OPENBILL_STAFF_2FA and getattr(user, "is_staff", False))


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


class StaffTwoFactorMiddleware:
    """Sends a logged-in staff user who has not entered a code to /staff/2fa/ (after OTPMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            path.startswith(GUARDED_PREFIXES)
            and not path.startswith(OPEN_PATHS)
            and request.user.is_authenticated
            and required_for(request.user)
            and not is_verified(request.user)
        ):
            return redirect(reverse("staff:two_factor") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
