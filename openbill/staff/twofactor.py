"""/staff/2fa/: a staff user enters a TOTP code, or enrols a device first (accounts.twofactor)."""

from __future__ import annotations

from typing import Any

import django_otp
from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from openbill.accounts import limits, twofactor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=20,
        help_text=gettext_lazy("Lost your app? Enter one of your recovery codes instead."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


@never_cache
@sensitive_post_parameters("code")
@staff_member_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the user's confirmed device; without one, enrol a new device."""
    user = request.user
    if not twofactor.is_enabled(user):
        return _enrol(request)
    limit = twofactor.code_limit(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if (wait := limits.blocked(request, limit)) is not None:
            return limits.too_many(request, wait)
        if form.is_valid() and (verified := twofactor.verify_code(user, form.cleaned_data["code"])):
            django_otp.login(request, verified)
            return redirect(_next_url(request))
        limits.record(request, limit)
        form.add_error("code", _("That code is not valid. Enter the current code from your app."))
    context = {"form": form, "next": _next_url(request), "title": _("Two-factor authentication")}
    return render(request, "staff/two_factor.html", context, status=400 if form.errors else 200)


def _enrol(request: HttpRequest) -> HttpResponse:
    """GET: a new secret, shown this once; POST: the first code from it confirms the device."""
    user = request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        done = twofactor.try_enrolment(request, user, form.cleaned_data["code"] if form.is_valid() else None)
        if done.wait is not None:
            return limits.too_many(request, done.wait)
        if done.codes is not None:
            shown = {"codes": done.codes, "next": _next_url(request), "title": _("Your recovery codes")}
            return render(request, "staff/two_factor_recovery.html", shown)
        if done.device is None:
            return redirect(request.get_full_path())
        form.add_error("code", _("That code is not valid. Enter the current code from your app."))
        device = done.device
    else:
        device = twofactor.new_secret(user)
    context: dict[str, Any] = {
        "form": form,
        "next": _next_url(request),
        "title": _("Set up two-factor authentication"),
        **twofactor.enrolment_details(device),
    }
    return render(request, "staff/two_factor_enrol.html", context, status=400 if form.errors else 200)
