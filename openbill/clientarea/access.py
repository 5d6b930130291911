"""Who may use the client area: a logged-in user who belongs to a client account; and, for
changes to the account's security, one who entered the password again in the last minutes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from openbill.accounts.sessions import reauthenticated_recently


def client_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Anonymous users go to the login page; users without a client account (staff) to /admin/."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.client:  # type: ignore[attr-defined]  # a lazy object: test its truth, not identity
            return redirect("admin:index")
        return view(request, *args, **kwargs)

    return wrapper


def reauth_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The view runs only within ten minutes of entering the password (and the code, with
    two-factor authentication) again — or of logging in. Otherwise the user is asked for them
    at /profile/confirm/ and comes back: to this page after a GET, to the Profile after a POST
    (whose form is then sent again). Use inside ``client_required``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if reauthenticated_recently(request):
            return view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            back = request.get_full_path()
        else:
            back = reverse("clientarea:profile")
            messages.info(request, _("Confirm it is you, then send the form again."))
        return redirect(reverse("clientarea:reauth") + "?" + urlencode({"next": back}))

    return wrapper
