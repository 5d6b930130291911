"""The Profile's security pages: confirm it is you, two-factor authentication, sessions, notices.

Two-factor authentication is the mechanism staff use too (accounts.twofactor): enrolling shows
a fresh secret and its QR code, and only a code from that secret turns it on; the ten recovery
codes are shown once. Turning it on or off, new recovery codes, a new password and a new API
token need the password (and code) entered in the last ten minutes (``reauth_required``).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from openbill.accounts import limits, sessions, twofactor
from openbill.accounts.models import User

from .access import client_required, reauth_required
from .forms import CodeForm, LoginNoticesForm, ReauthForm


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _next_url(request: HttpRequest, default: str = "clientarea:profile") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


@never_cache
@sensitive_post_parameters("password", "code")
@client_required
def reauth(request: HttpRequest) -> HttpResponse:
    """Enter the password (and the code) again; opens ten minutes for security changes."""
    user = _user(request)
    with_code = twofactor.is_enabled(user)
    form = ReauthForm(request.POST or None, with_code=with_code)
    if request.method == "POST":
        # The login's per-account limit for the password, the code's own for the code.
        password_limit = limits.Limit("login_account_failure", account=user.email)
        code_limit = twofactor.code_limit(user)
        if (wait := limits.blocked(request, password_limit, code_limit)) is not None:
            return limits.too_many(request, wait)
        if form.is_valid():
            checked = authenticate(request, username=user.email, password=form.cleaned_data["password"])
            if checked is None or checked.pk != user.pk:
                limits.record(request, password_limit)
                form.add_error("password", _("That password is not right."))
            elif with_code and twofactor.verify_code(user, form.cleaned_data["code"]) is None:
                limits.record(request, code_limit)
                form.add_error("code", _("That code is not valid. Enter the current code from your app."))
            else:
                sessions.mark_reauthenticated(request)
                return redirect(_next_url(request))
    context = {"form": form, "next": _next_url(request)}
    return render(request, "clientarea/profile/reauth.html", context, status=400 if form.errors else 200)


@never_cache
@sensitive_post_parameters("code")
@client_required
@reauth_required
def two_factor_enable(request: HttpRequest) -> HttpResponse:
    """GET: a new secret (shown on this page only); POST: a code from it turns 2FA on."""
    user = _user(request)
    if twofactor.is_enabled(user):
        return redirect("clientarea:profile")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        outcome = _enrol(request, user, form)
        if isinstance(outcome, HttpResponse):
            return outcome
        device = outcome
    else:
        device = twofactor.new_secret(user)
    context = {
        "form": form,
        "next": _next_url(request),
        "required": twofactor.required_for_client(user),
        **twofactor.enrolment_details(device),
    }
    return render(request, "clientarea/profile/two_factor_enable.html", context, status=400 if form.errors else 200)


def _enrol(request: HttpRequest, user: User, form: CodeForm) -> Any:
    """A code from the secret shown turns 2FA on and shows the recovery codes (a response);
    a wrong one counts against the limit and the same secret is shown again (its device)."""
    done = twofactor.try_enrolment(request, user, form.cleaned_data["code"] if form.is_valid() else None)
    if done.wait is not None:
        return limits.too_many(request, done.wait)
    if done.codes is not None:
        # Sessions elsewhere never entered a code: they end, this one stays.
        sessions.log_out_other_sessions(request)
        context = {"codes": done.codes, "next": _next_url(request), "first_time": True}
        return render(request, "clientarea/profile/recovery_codes.html", context)
    if done.device is None:
        return redirect(request.get_full_path())
    form.add_error("code", _("That code is not valid. Enter the current code from your app."))
    return done.device


@require_POST
@client_required
@reauth_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if twofactor.required_for_client(user):
        messages.error(request, _("Your provider requires two-factor authentication: it cannot be turned off."))
        return redirect("clientarea:profile")
    twofactor.turn_off(user)
    messages.success(request, _("Two-factor authentication is off. Logging in asks for the password only."))
    return redirect("clientarea:profile")


@never_cache
@require_POST
@client_required
@reauth_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes; the old ones stop working."""
    user = _user(request)
    if not twofactor.is_enabled(user):
        raise Http404
    context = {"codes": twofactor.new_recovery_codes(user), "next": reverse("clientarea:profile")}
    return render(request, "clientarea/profile/recovery_codes.html", context)


@require_POST
@client_required
def session_log_out(request: HttpRequest, session_id: str) -> HttpResponse:
    """Log out one of the caller's sessions; an id that is not one of theirs is a 404."""
    current = request.session.session_key
    if not sessions.log_out_session(request, session_id):
        raise Http404
    if request.session.session_key != current:  # it was this session
        return redirect("clientarea:login")
    messages.success(request, _("That session was logged out."))
    return redirect("clientarea:profile")


@require_POST
@client_required
def login_notices(request: HttpRequest) -> HttpResponse:
    form = LoginNoticesForm(request.POST)
    form.is_valid()  # a checkbox: absent is off
    enabled = bool(form.cleaned_data.get("login_notices"))
    User.objects.filter(pk=_user(request).pk).update(login_notices=enabled)
    messages.success(
        request,
        _("Logins from a new address will be notified by email.")
        if enabled
        else _("Logins from a new address will not be notified."),
    )
    return redirect("clientarea:profile")
