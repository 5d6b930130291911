"""Log in (password, then the code with two-factor authentication) and out, sign up with
email confirmation, password reset and change, language switch."""

from __future__ import annotations

import time
from typing import Any, cast

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from openbill.accounts import actions as accounts
from openbill.accounts import limits, sessions, twofactor
from openbill.accounts.models import ApiToken, User
from openbill.accounts.selectors import client_of
from openbill.accounts.tasks import PASSWORD_RESET, SIGNUP_CONFIRM, send_after_commit

from . import signup
from .access import client_required, reauth_required
from .forms import CodeForm, EmailLoginForm, PasswordChangeForm, SignupForm

# A password checked for a user with two-factor authentication, waiting for the code: the
# session is not logged in until then. The step expires after PENDING_SECONDS.
PENDING = "openbill_2fa_pending"
PENDING_SECONDS = 5 * 60
# An account waiting for its email confirmation whose right password this session typed.
RESEND = "openbill_confirmation_resend"


def _remember_language(response: HttpResponseBase, language: str) -> None:
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )


class LoginView(auth_views.LoginView):
    """Email + password. Django's login rotates the session key; axes counts the failures per
    address and per (email, address); a per-email limit across addresses is counted here."""

    form_class = EmailLoginForm
    template_name = "clientarea/auth/login.html"
    redirect_authenticated_user = True

    def _account_limit(self) -> limits.Limit:
        return limits.Limit("login_account_failure", account=self.request.POST.get("username", ""))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (wait := limits.blocked(request, self._account_limit())) is not None:
            return limits.too_many(request, wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        limits.record(self.request, self._account_limit())
        if form.unconfirmed_user is not None:
            # Whoever typed the right password may ask for a new confirmation link.
            self.request.session[RESEND] = {"user": form.unconfirmed_user.pk, "at": time.time()}
        return self.render_to_response(self.get_context_data(form=form, unconfirmed=form.unconfirmed_user is not None))

    def get_default_redirect_url(self) -> str:
        return _home(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        provider = signup.signup_provider()
        context["signup_enabled"] = bool(provider and provider.signup_enabled)
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if twofactor.is_enabled(user):
            # The password is right; the session is logged in only once the code is, too.
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "hash": user.get_session_auth_hash(),
                "at": time.time(),
                "next": self.get_redirect_url(),
            }
            return redirect("clientarea:login_code")
        response = super().form_valid(form)
        # The user's saved language follows them from browser to browser.
        _remember_language(response, user.language)
        return response


def _resend_limits(user_id: int) -> tuple[limits.Limit, limits.Limit]:
    """New confirmation links per address and per account (each one sends a mail)."""
    return limits.Limit("confirmation_resend"), limits.Limit("confirmation_resend", account=f"user:{user_id}")


@require_POST
@csrf_protect
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    """Send the confirmation link again to an account whose right password this session typed
    (within PENDING_SECONDS), still unconfirmed. Rate-limited per address and per account."""
    pending = request.session.get(RESEND)
    fresh = isinstance(pending, dict) and 0 <= time.time() - float(pending.get("at") or 0) <= PENDING_SECONDS
    user = (
        User.objects.filter(pk=int(pending.get("user") or 0), is_active=False, email_confirmed=False).first()
        if fresh and isinstance(pending, dict)
        else None
    )
    if user is None:
        request.session.pop(RESEND, None)
        messages.info(request, _("Log in with your email and password first."))
        return redirect("clientarea:login")
    limiters = _resend_limits(user.pk)
    if (wait := limits.blocked(request, *limiters)) is not None:
        return limits.too_many(request, wait)
    limits.record(request, *limiters)
    send_after_commit(SIGNUP_CONFIRM, user)
    messages.success(request, _("We sent a new confirmation link to %(email)s.") % {"email": user.email})
    return redirect("clientarea:login")


def _home(user: Any) -> str:
    if client_of(user) is None:
        return reverse("admin:index")
    return reverse("clientarea:dashboard")


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The user whose password this session entered, while the code step is still open: not
    expired, the user still active and the password unchanged since."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int | float):
        return None
    if not 0 <= time.time() - pending["at"] <= PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    if user is None or not constant_time_compare(user.get_session_auth_hash(), str(pending.get("hash", ""))):
        return None
    return user, pending


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of a login with two-factor authentication: a code of the app, or a
    recovery code (each works once). Wrong codes count per account (``otp_failure``)."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING, None)
        messages.info(request, _("Log in with your email and password first."))
        return redirect("clientarea:login")
    user, pending = found
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        limit = twofactor.code_limit(user)
        if (wait := limits.blocked(request, limit)) is not None:
            return limits.too_many(request, wait)
        device = twofactor.verify_code(user, form.cleaned_data["code"]) if form.is_valid() else None
        if device is not None:
            return _finish_login(request, user, pending, device)
        limits.record(request, limit)
        form.add_error("code", _("That code is not valid. Enter the current code from your app."))
    return render(request, "clientarea/auth/login_code.html", {"form": form}, status=400 if form.errors else 200)


def _finish_login(request: HttpRequest, user: User, pending: dict[str, Any], device: Any) -> HttpResponse:
    """The code was right: log in (a new session key) and go where the login was heading."""
    del request.session[PENDING]
    auth_login(request, user, backend=pending["backend"])
    django_otp.login(request, device)
    target = str(pending.get("next") or "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = _home(user)
    response = redirect(target)
    _remember_language(response, user.language)
    return response


class LogoutView(auth_views.LogoutView):
    next_page = "clientarea:login"


@never_cache
@csrf_protect
@sensitive_post_parameters("password1", "password2")
def signup_view(request: HttpRequest) -> HttpResponse:
    provider = signup.signup_provider()
    if provider is None or not provider.signup_enabled:
        raise Http404(_("Sign-up is closed."))
    if request.user.is_authenticated:
        return redirect("clientarea:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        # Every attempt counts, not only failures: each one creates an account or sends a mail.
        limit = limits.Limit("signup")
        if (wait := limits.blocked(request, limit)) is not None:
            return limits.too_many(request, wait)
        limits.record(request, limit)
    if request.method == "POST" and form.is_valid():
        signup.register_client(
            provider=provider,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            language=get_language() or settings.LANGUAGE_CODE,
        )
        return redirect("clientarea:signup_done")
    return render(request, "clientarea/auth/signup.html", {"form": form}, status=400 if form.errors else 200)


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "clientarea/auth/signup_done.html")


def _link_limits(uidb64: str) -> tuple[limits.Limit, limits.Limit]:
    """Wrong links (reset or confirmation) per address and per account the link names."""
    return limits.Limit("link_failure"), limits.Limit("link_account_failure", account=f"uid:{uidb64}")


@never_cache
@csrf_protect
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: a mail scanner that opens the link changes nothing."""
    link_limits = _link_limits(uidb64)
    if (wait := limits.blocked(request, *link_limits)) is not None:
        return limits.too_many(request, wait)
    if request.method == "POST":
        user = signup.confirm_email(uidb64, token)
    elif request.method in ("GET", "HEAD"):
        user = signup.user_of_link(uidb64, token)
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    if user is None:
        limits.record(request, *link_limits)
        return render(request, "clientarea/auth/signup_invalid.html", status=400)
    if request.method != "POST":
        return render(request, "clientarea/auth/signup_confirm.html", {"email": user.email})
    messages.success(request, _("Your email is confirmed. You can log in now."))
    return redirect("clientarea:login")


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form; its mail is rendered and sent by the task worker after commit
    (accounts.tasks), so the answer takes as long for a registered address as for an unknown one,
    and the task row holds the user's id, not the link."""

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for user in self.get_users(self.cleaned_data["email"]):
            send_after_commit(PASSWORD_RESET, user)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "clientarea/auth/password_reset.html"
    success_url = reverse_lazy("clientarea:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Every request counts, per address and per email asked for: each may send a mail.
        asked = (limits.Limit("password_reset"), limits.Limit("password_reset_account", request.POST.get("email", "")))
        if (wait := limits.blocked(request, *asked)) is not None:
            return limits.too_many(request, wait)
        limits.record(request, *asked)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "clientarea/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "clientarea/auth/password_reset_confirm.html"
    success_url = reverse_lazy("clientarea:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever knew the old password may have made tokens with it: a reset ends them all, as
        # it ends every session (the session hash follows the password).
        if revoked := ApiToken.revoke_all(form.user):
            messages.success(self.request, _revoked_message(revoked))
        return response

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        link_limits = _link_limits(kwargs.get("uidb64", ""))
        if (wait := limits.blocked(self.request, *link_limits)) is not None:
            return limits.too_many(self.request, wait)
        response = super().dispatch(*args, **kwargs)
        # A good link answers with a redirect (Django moves the token into the session) or the
        # form; anything else is a wrong, used or expired link.
        if not self.validlink and response.status_code != 302:
            limits.record(self.request, *link_limits)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "clientarea/auth/password_reset_complete.html"


@method_decorator([client_required, reauth_required], name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password knowing the current one (after confirming it is you in the last ten
    minutes); the session stays logged in (Django updates its auth hash), every other session of
    the user is logged out."""

    form_class = PasswordChangeForm
    template_name = "clientarea/profile/password_change.html"
    success_url = reverse_lazy("clientarea:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The new password's hash already refuses the other sessions; this drops them from the list.
        sessions.log_out_other_sessions(self.request)
        messages.success(self.request, _("Your password was changed."))
        if form.cleaned_data["revoke_api_tokens"] and (revoked := ApiToken.revoke_all(form.user)):
            messages.success(self.request, _revoked_message(revoked))
        return response


def _revoked_message(count: int) -> str:
    return ngettext(
        "%(count)d API token was revoked: create a new one in the Profile where you need it.",
        "%(count)d API tokens were revoked: create new ones in the Profile where you need them.",
        count,
    ) % {"count": count}


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie + redirect to ``next``), also saved on the user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        accounts.set_language(cast(User, request.user), language)
    return response


@require_POST
@client_required
def log_out_other_sessions(request: HttpRequest) -> HttpResponse:
    """Every other browser logged in as this user is logged out; this one stays."""
    sessions.log_out_other_sessions(request)
    messages.success(request, _("Your other sessions were logged out."))
    return redirect("clientarea:profile")
