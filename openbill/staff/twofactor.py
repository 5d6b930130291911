"""/staff/2fa/: a staff user enters a TOTP code, or enrols a device first (accounts.twofactor)."""

from __future__ import annotations

from base64 import b32encode
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
from django_otp.plugins.otp_totp.models import TOTPDevice

from openbill.accounts import limits
from openbill.accounts.models import RecoveryCodes


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
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        return _enrol(request)
    limit = limits.Limit("otp_failure", account=str(user.pk))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if (wait := limits.blocked(request, limit)) is not None:
            return limits.too_many(request, wait)
        if form.is_valid() and (verified := _verify(user, device, form.cleaned_data["code"].strip())):
            django_otp.login(request, verified)
            return redirect(_next_url(request))
        limits.record(request, limit)
        form.add_error("code", _("That code is not valid. Enter the current code from your app."))
    context = {"form": form, "next": _next_url(request), "title": _("Two-factor authentication")}
    return render(request, "staff/two_factor.html", context, status=400 if form.errors else 200)


def _verify(user: Any, device: TOTPDevice, code: str) -> TOTPDevice | RecoveryCodes | None:
    """The device that accepts ``code``: the app's (six digits) or the recovery codes."""
    if code.isdigit():
        # django-otp's verify_token locks the device row while it checks and moves last_t, so
        # two requests carrying one code cannot both pass.
        return django_otp.verify_token(user, device.persistent_id, code)
    recovery = RecoveryCodes.objects.filter(user=user, confirmed=True).first()
    return recovery if recovery is not None and recovery.verify_token(code) else None


def _enrol(request: HttpRequest) -> HttpResponse:
    """GET: a new secret, shown this once; POST: the first code from it confirms the device."""
    user = request.user
    limit = limits.Limit("otp_failure", account=str(user.pk))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if (wait := limits.blocked(request, limit)) is not None:
            return limits.too_many(request, wait)
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
        code = form.cleaned_data["code"].strip() if form.is_valid() else ""
        # Only a code of the new secret confirms it (not a recovery code): the app must work.
        if pending is not None and code and django_otp.verify_token(user, pending.persistent_id, code):
            pending.confirmed = True
            pending.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            django_otp.login(request, pending)
            recovery, _created = RecoveryCodes.objects.get_or_create(
                user=user, defaults={"name": _("Recovery codes"), "confirmed": True}
            )
            context = {"codes": recovery.issue(), "next": _next_url(request), "title": _("Your recovery codes")}
            return render(request, "staff/two_factor_recovery.html", context)
        limits.record(request, limit)
        if pending is None:
            return redirect(request.get_full_path())
        form.add_error("code", _("That code is not valid. Enter the current code from your app."))
        device = pending
    else:
        # A fresh secret on every visit: one shown on an earlier page is never valid again.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    context = {
        "form": form,
        "next": _next_url(request),
        "title": _("Set up two-factor authentication"),
        "secret": b32encode(device.bin_key).decode(),
        "otpauth_uri": device.config_url,
    }
    return render(request, "staff/two_factor_enrol.html", context, status=400 if form.errors else 200)
